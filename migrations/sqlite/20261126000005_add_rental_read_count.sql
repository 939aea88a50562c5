-- How many of a rental's messages its owner has seen, for the unread count on its card.
alter table rentals add column read_count integer not null default 0;
