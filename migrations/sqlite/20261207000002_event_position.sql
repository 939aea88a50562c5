-- Streams resume by `position`, which follows commit order. SQLite has one writer at a time,
-- so each event takes the next position when it is inserted (see `server::events`).
alter table event add column position bigint;
update event set position = event_id;
create unique index event_position_idx on event (position);
create index event_user_position_idx on event (user_id, position);
