-- Operators' pricing policy (duration bands, customer tiers, volume discounts) as JSON, one
-- row per change: the newest prices new purchases, and the rows before it are its history.
create table pricing_policy (
    pricing_policy_id integer primary key autoincrement,
    body text not null,
    created_at bigint not null,
    created_by integer references app_user (user_id) on delete set null
);

-- The customer's tier in that policy (`standard` until an operator moves them).
alter table app_user add column pricing_tier text not null default 'standard';

-- A customer's spend over the last 30 days (their volume discount) is read at every quote.
create index ledger_entry_user_time_idx on ledger_entry (user_id, created_at);
