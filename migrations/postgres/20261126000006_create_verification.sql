-- Verifications: one-shot activation numbers and the SMS they receive.
-- Money is an integer count of 1/10000 units; timestamps are milliseconds since the epoch.

create table verification (
    verification_id bigint generated always as identity primary key,
    user_id bigint not null references app_user (user_id),
    provider text not null,
    provider_order_id text not null,
    phone_number text not null,
    service_name text not null,
    country_code text not null,
    operator text,
    status text not null check (status in ('waiting', 'received', 'finished', 'cancelled', 'timed_out')),
    cost bigint not null check (cost >= 0),
    -- The code of the newest message that has one.
    code text,
    created_at bigint not null,
    -- The provider's deadline for the first SMS.
    expires_at bigint not null,
    updated_at bigint not null,
    finished_at bigint,
    -- The verification this one verified again ("reuse"), if any.
    reused_from bigint references verification (verification_id),
    next_poll_at bigint not null,
    lease_until bigint
);
create unique index verification_provider_order_key on verification (provider, provider_order_id);
create index verification_user_idx on verification (user_id, verification_id);
create index verification_status_poll_idx on verification (status, next_poll_at);
create index verification_status_expiry_idx on verification (status, expires_at);

create table verification_message (
    verification_message_id bigint generated always as identity primary key,
    verification_id bigint not null references verification (verification_id),
    provider_message_id text not null,
    sender text not null,
    text text not null,
    code text,
    received_at bigint not null
);
create unique index verification_message_provider_key on verification_message (verification_id, provider_message_id);
