-- Rentals (the seed's `rentals` table, plus what a real rental needs), their messages,
-- idempotent request records, and notifications for users.
-- Money is an integer count of 1/10000 units; timestamps are milliseconds since the epoch.

create table rentals (
    id bigint generated always as identity primary key,
    user_id bigint not null references app_user (user_id),
    phone_number text not null,
    service_name text not null,
    country_code text not null,
    expires_at bigint not null,
    created_at bigint not null,
    status text not null check (status in ('active', 'expired', 'released', 'failed')),
    -- Everything paid for this rental so far (creation and extensions), in 1/10000 units.
    cost bigint not null check (cost >= 0),
    provider text not null,
    provider_order_id text not null,
    operator text,
    duration_hours integer not null,
    -- The length first bought: what auto-renew extends by.
    original_hours integer not null,
    -- The rental's own hourly price, as an exact decimal string (it can have more than four
    -- places: 2.41 * 1.5 / 24 = 0.150625); extensions and refunds are measured in it.
    hourly_price text not null,
    -- 1 or 0 (an integer in both databases: sqlx's Any driver cannot read SQLite booleans).
    auto_renew integer not null default 0 check (auto_renew in (0, 1)),
    -- The end of the upstream order we hold: the number can be kept until then at most.
    upstream_expires_at bigint not null,
    released_at bigint,
    updated_at bigint not null,
    -- When the expiry warning was sent (once per term).
    warned_at bigint,
    -- When the poller should next look for messages.
    next_poll_at bigint not null,
    -- A job's claim on the row: no two instances process it at once.
    lease_until bigint
);
create unique index rentals_provider_order_key on rentals (provider, provider_order_id);
create index rentals_user_status_idx on rentals (user_id, status, expires_at);
create index rentals_status_poll_idx on rentals (status, next_poll_at);
create index rentals_status_expiry_idx on rentals (status, expires_at);

create table rental_messages (
    id bigint generated always as identity primary key,
    rental_id bigint not null references rentals (id),
    provider_message_id text not null,
    sender text not null,
    text text not null,
    code text,
    received_at bigint not null
);
create unique index rental_messages_provider_key on rental_messages (rental_id, provider_message_id);
create index rental_messages_rental_idx on rental_messages (rental_id, received_at);

create table idempotency_key (
    user_id bigint not null references app_user (user_id),
    idempotency_key text not null,
    -- What the first request asked for: a retry must ask for the same thing.
    request_hash text not null,
    -- Null while the first request is still being processed.
    response_status integer,
    response_body text,
    created_at bigint not null,
    primary key (user_id, idempotency_key)
);

create table notification (
    notification_id bigint generated always as identity primary key,
    user_id bigint not null references app_user (user_id),
    kind text not null,
    message text not null,
    rental_id bigint references rentals (id),
    created_at bigint not null,
    read_at bigint
);
create index notification_user_idx on notification (user_id, notification_id);
