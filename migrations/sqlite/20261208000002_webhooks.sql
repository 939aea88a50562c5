-- Customers' webhooks: the endpoints they register, and each delivery of an event to one.

create table webhook_endpoint (
    webhook_endpoint_id integer primary key autoincrement,
    user_id integer not null references app_user (user_id) on delete cascade,
    url text not null,
    -- The shared secret deliveries are signed with (HMAC-SHA256): needed in the clear to sign.
    secret text not null,
    -- The event kinds delivered, comma-separated, e.g. `sms.received,rental.updated`.
    events text not null,
    description text not null default '',
    enabled integer not null default 1,
    -- Deliveries that failed in a row; reset by a success.
    consecutive_failures bigint not null default 0,
    -- When the first of those failures was: an endpoint failing for a day is turned off.
    failing_since bigint,
    disabled_reason text,
    created_at bigint not null,
    updated_at bigint not null
);
create index webhook_endpoint_user_idx on webhook_endpoint (user_id);

create table webhook_delivery (
    webhook_delivery_id integer primary key autoincrement,
    webhook_endpoint_id integer not null references webhook_endpoint (webhook_endpoint_id) on delete cascade,
    user_id integer not null,
    event_kind text not null,
    -- The body sent, the same on every attempt.
    payload text not null,
    -- pending | delivered | failed
    status text not null default 'pending',
    attempts bigint not null default 0,
    next_attempt_at bigint,
    lease_until bigint,
    last_status_code bigint,
    last_error text,
    last_latency_ms bigint,
    created_at bigint not null,
    delivered_at bigint
);
create index webhook_delivery_due_idx on webhook_delivery (next_attempt_at) where status = 'pending';
create index webhook_delivery_endpoint_idx on webhook_delivery (webhook_endpoint_id, webhook_delivery_id);
