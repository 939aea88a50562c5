-- Analytics. Each business event (a rental started, extended, released or expired; a
-- verification bought, finished, cancelled or timed out; a refund; a first SMS; a purchase
-- attempt at a provider) is written to `activity` in the transaction that makes it happen.
-- The analytics job folds what it has not counted yet (`rolled_up = 0`) into the rollups,
-- and the analytics endpoints read only those: their cost follows the length of the range
-- asked for, not the size of the history.
-- Money is an integer count of 1/10000 units; timestamps are milliseconds since the epoch.

create table activity (
    activity_id bigint generated always as identity primary key,
    at bigint not null,
    -- 'rental' or 'verification'.
    product text not null,
    -- started, extended, released, expired, finished, cancelled, timed_out, refunded,
    -- first_sms, attempt, failover.
    event text not null,
    user_id bigint not null,
    service text not null,
    country text not null,
    provider text not null,
    -- What kind of the event: a refund's reason, an attempt's outcome, a first SMS's delay
    -- band, how an extension came (manual, auto_renew), a start's auto-renew.
    detail text not null default '',
    -- Charged to the customer (started, extended) or given back (refunded), positive.
    amount_units bigint not null default 0,
    -- What the provider charged us (negative when it gave it back).
    cost_units bigint not null default 0,
    -- A length of time: hours bought, time held, time to the first SMS.
    value_ms bigint not null default 0,
    rolled_up integer not null default 0
);
create index activity_pending_idx on activity (activity_id) where rolled_up = 0;

-- The sums of `activity` per hour and per day (UTC), overall (`dim = 'all'`) and by service,
-- country, provider, and (per day only) offer: `service/country/provider`.
create table rollup (
    dim text not null,
    grain text not null,
    bucket bigint not null,
    product text not null,
    event text not null,
    dim_value text not null,
    detail text not null,
    events bigint not null,
    amount_units bigint not null,
    cost_units bigint not null,
    value_ms bigint not null,
    primary key (dim, grain, bucket, product, event, dim_value, detail)
);

-- Customers: who bought, when first and last, how often and for how much (started and
-- extended, less refunds), overall and per day and month (the month with the cohort, the
-- month of the first purchase).
create table customer (
    user_id bigint primary key,
    first_purchase_at bigint not null,
    last_purchase_at bigint not null,
    purchases bigint not null,
    spend_units bigint not null
);
create index customer_first_purchase_idx on customer (first_purchase_at);

create table customer_day (
    day bigint not null,
    user_id bigint not null,
    purchases bigint not null,
    spend_units bigint not null,
    primary key (day, user_id)
);

create table customer_month (
    month bigint not null,
    user_id bigint not null,
    cohort bigint not null,
    purchases bigint not null,
    spend_units bigint not null,
    primary key (month, user_id)
);

-- When a rental or verification got its first SMS (time to first SMS; "SMS received").
alter table rentals add column first_sms_at bigint;
alter table verification add column first_sms_at bigint;
