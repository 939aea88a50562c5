-- Each rental's message count and newest code, kept on the row when a message is stored, so
-- listing rentals reads one row each instead of counting and sorting their messages.
alter table rentals add column message_count integer not null default 0;
alter table rentals add column last_code text;
-- When the message carrying `last_code` was received (the newest code wins, whatever order
-- messages arrive in).
alter table rentals add column last_code_at bigint;

update rentals set
    message_count = (select count(*) from rental_messages m where m.rental_id = rentals.id),
    last_code = (select m.code from rental_messages m where m.rental_id = rentals.id and m.code is not null
                 order by m.received_at desc, m.id desc limit 1),
    last_code_at = (select max(m.received_at) from rental_messages m where m.rental_id = rentals.id and m.code is not null);
