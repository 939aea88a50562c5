-- Refunds and disputes of card payments take money back, which the customer may have spent:
-- a balance, and a ledger row's balance after it, may now be below zero. Only such a reversal
-- takes it there (`ledger::post` refuses any other debit that would), and a negative balance
-- blocks purchases until a top-up settles it.
-- SQLite cannot drop a CHECK in place, and rebuilding `app_user` would cascade to everything
-- that references it: each column is replaced instead, within this migration's transaction.
alter table app_user add column balance_units_signed bigint not null default 0;
update app_user set balance_units_signed = balance_units;
alter table app_user drop column balance_units;
alter table app_user rename column balance_units_signed to balance_units;

alter table ledger_entry add column balance_after_units_signed bigint not null default 0;
update ledger_entry set balance_after_units_signed = balance_after_units;
alter table ledger_entry drop column balance_after_units;
alter table ledger_entry rename column balance_after_units_signed to balance_after_units;

-- How much of a paid top-up the provider has refunded so far (Stripe reports the total).
alter table topup add column refunded_units bigint not null default 0;

-- Disputes (chargebacks) of top-up payments. `held_units` is what the dispute has taken from
-- the balance and not given back: its amount while open or lost, nothing once won.
create table payment_dispute (
    payment_dispute_id integer primary key autoincrement,
    topup_id integer not null references topup (topup_id) on delete cascade,
    provider text not null,
    dispute_id text not null,
    amount_units bigint not null check (amount_units > 0),
    -- open | won | lost (`unknown` only inside the transaction applying its first report)
    status text not null,
    held_units bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    unique (provider, dispute_id)
);
create index payment_dispute_topup_idx on payment_dispute (topup_id);
