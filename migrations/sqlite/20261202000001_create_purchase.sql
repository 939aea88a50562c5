-- Crash safety. A purchase is the money held for a rental or verification while the provider
-- is asked for a number: written with the hold, it records the upstream order once bought and
-- ends as recorded (the rental or verification exists) or reversed (the hold was given back).
-- One left open by a crash is settled by the reconciliation job.
-- Money is an integer count of 1/10000 units; timestamps are milliseconds since the epoch.

create table purchase (
    purchase_id integer primary key autoincrement,
    user_id integer not null references app_user (user_id),
    kind text not null check (kind in ('rental', 'verification')),
    state text not null check (state in ('held', 'bought', 'recorded', 'reversed')),
    amount bigint not null check (amount >= 0),
    -- The token of the hold's ledger reference (`rental-hold:<token>`); the reversal is
    -- `rental-reversal:<token>`, unique like every ledger reference.
    hold_token text not null unique,
    -- What was asked, as JSON: enough to record the rental or verification from the order.
    request text not null,
    -- The product asked for upstream (a service for verifications), to match an order found
    -- upstream that the purchase never heard of.
    product text,
    -- The provider that sold the number, and its order id, once bought.
    provider text,
    provider_order_id text,
    -- The rental or verification it became.
    record_id bigint,
    -- The idempotency key of the request that made it, if it had one: settled with it.
    idempotency_key text,
    created_at bigint not null,
    updated_at bigint not null
);
create index purchase_open_idx on purchase (created_at) where state in ('held', 'bought');
create unique index purchase_order_key on purchase (provider, provider_order_id);

-- When the upstream order of a rental or verification that has ended here was closed there
-- (released, cancelled or finished). Null while it may still be open upstream: the
-- reconciliation job closes it.
alter table rentals add column upstream_closed_at bigint;
update rentals set upstream_closed_at = updated_at where status <> 'active';
create index rentals_upstream_open_idx on rentals (updated_at)
    where upstream_closed_at is null and status <> 'active';

alter table verification add column upstream_closed_at bigint;
update verification set upstream_closed_at = updated_at where status in ('finished', 'cancelled', 'timed_out');
create index verification_upstream_open_idx on verification (updated_at)
    where upstream_closed_at is null and status in ('finished', 'cancelled', 'timed_out');

-- Singleton jobs (the reconciler): the instance running one holds it until `lease_until`;
-- the next scheduled run is due at `next_at`.
create table job_lease (
    name text primary key,
    lease_until bigint not null,
    next_at bigint not null
);

-- Stale idempotency records without an answer are found by age.
create index idempotency_key_open_idx on idempotency_key (created_at) where response_body is null;
