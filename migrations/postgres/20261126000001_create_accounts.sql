-- Accounts, sessions, API keys and the wallet ledger.
-- Money is an integer count of 1/10000 units; timestamps are milliseconds since the epoch.

create table app_user (
    user_id bigint generated always as identity primary key,
    email text not null unique,
    password_hash text not null,
    role text not null default 'customer' check (role in ('customer', 'admin')),
    balance_units bigint not null default 0 check (balance_units >= 0),
    created_at bigint not null,
    updated_at bigint not null
);

create table session (
    -- SHA-256 of the cookie's token: a stolen database does not yield live sessions.
    session_id text primary key,
    user_id bigint not null references app_user (user_id) on delete cascade,
    created_at bigint not null,
    expires_at bigint not null
);
create index session_user_id_idx on session (user_id);

create table api_key (
    api_key_id bigint generated always as identity primary key,
    user_id bigint not null references app_user (user_id) on delete cascade,
    name text not null,
    prefix text not null,
    -- SHA-256 of the key: looked up on every API request.
    key_hash text not null unique,
    created_at bigint not null,
    last_used_at bigint,
    revoked_at bigint
);
create index api_key_user_id_idx on api_key (user_id);

create table ledger_entry (
    ledger_entry_id bigint generated always as identity primary key,
    user_id bigint not null references app_user (user_id),
    amount_units bigint not null,
    balance_after_units bigint not null check (balance_after_units >= 0),
    kind text not null,
    -- A unique key per money movement that must happen at most once (e.g. refund:rental:7).
    reference text unique,
    note text not null default '',
    created_at bigint not null
);
create index ledger_entry_user_id_idx on ledger_entry (user_id, ledger_entry_id);
