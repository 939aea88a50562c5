-- Extensions through a provider's own extension call are purchases too: the money is held
-- before the provider is asked, outside any transaction. SQLite cannot change a check
-- constraint in place, so the table is rebuilt with the new kind allowed.

create table purchase_new (
    purchase_id integer primary key autoincrement,
    user_id integer not null references app_user (user_id),
    kind text not null check (kind in ('rental', 'verification', 'rental_extension')),
    state text not null check (state in ('held', 'bought', 'recorded', 'reversed')),
    amount bigint not null check (amount >= 0),
    hold_token text not null unique,
    request text not null,
    product text,
    provider text,
    provider_order_id text,
    record_id bigint,
    idempotency_key text,
    created_at bigint not null,
    updated_at bigint not null
);
insert into purchase_new select purchase_id, user_id, kind, state, amount, hold_token, request,
    product, provider, provider_order_id, record_id, idempotency_key, created_at, updated_at
    from purchase;
drop table purchase;
alter table purchase_new rename to purchase;
create index purchase_open_idx on purchase (created_at) where state in ('held', 'bought');
create unique index purchase_order_key on purchase (provider, provider_order_id);
