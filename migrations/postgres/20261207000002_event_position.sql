-- Streams resume by `position`, not `event_id`. Identity values are taken when a row is
-- inserted, so a slow transaction can commit an event with a smaller id after a stream has
-- seen a larger one. Positions are given only to committed events, by one sequencing
-- transaction at a time (an advisory lock), so they follow commit order: a stream that has
-- seen position p will never be shown a new event at or below p (see `server::events`).
alter table event add column position bigint;
update event set position = event_id;
create sequence event_position_seq;
select setval('event_position_seq', (select coalesce(max(event_id), 0) + 1 from event), false);
create unique index event_position_idx on event (position);
create index event_user_position_idx on event (user_id, position);
create index event_unsequenced_idx on event (event_id) where position is null;
