-- Refunds and disputes of card payments take money back, which the customer may have spent:
-- a balance, and a ledger row's balance after it, may now be below zero. Only such a reversal
-- takes it there (`ledger::post` refuses any other debit that would), and a negative balance
-- blocks purchases until a top-up settles it.
alter table app_user drop constraint if exists app_user_balance_units_check;
alter table ledger_entry drop constraint if exists ledger_entry_balance_after_units_check;

-- How much of a paid top-up the provider has refunded so far (Stripe reports the total).
alter table topup add column refunded_units bigint not null default 0;

-- Disputes (chargebacks) of top-up payments. `held_units` is what the dispute has taken from
-- the balance and not given back: its amount while open or lost, nothing once won.
create table payment_dispute (
    payment_dispute_id bigint generated always as identity primary key,
    topup_id bigint not null references topup (topup_id) on delete cascade,
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
