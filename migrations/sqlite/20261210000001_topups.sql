-- Top-ups: money added by card through a payment provider's checkout (Stripe). The balance is
-- credited only from the provider's signed event, once per payment: the ledger row's
-- reference (`topup:{provider}:{payment_id}`) is unique, and so is `payment_id` here.

create table topup (
    topup_id integer primary key autoincrement,
    user_id integer not null references app_user (user_id) on delete cascade,
    amount_units bigint not null check (amount_units > 0),
    currency text not null,
    -- pending | paid | declined | expired | refunded
    status text not null default 'pending',
    -- The payment provider (`stripe`), its checkout (`cs_…`), where the customer pays it, and
    -- until when.
    provider text not null,
    checkout_id text unique,
    checkout_url text,
    expires_at bigint,
    -- The payment (`pi_…`), once paid.
    payment_id text unique,
    -- Why the last card was declined, as the provider said it.
    failure text,
    created_at bigint not null,
    updated_at bigint not null,
    paid_at bigint
);
create index topup_user_idx on topup (user_id, topup_id);
