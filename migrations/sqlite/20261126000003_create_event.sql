-- Live-update events, kept for a day so a reconnecting stream can resume from its last id
-- without losing an SMS.

create table event (
    event_id integer primary key autoincrement,
    user_id integer not null references app_user (user_id),
    kind text not null,
    -- The event's JSON payload.
    data text not null,
    created_at bigint not null
);
create index event_user_idx on event (user_id, event_id);
create index event_created_at_idx on event (created_at);
