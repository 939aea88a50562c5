-- When the account's address was confirmed by a mailed link (null: not yet). Accounts made
-- before the links existed count as confirmed: they were trusted with mail until now, and
-- taking it away (notifications by email, operators' alerts) without telling them would be
-- worse than the risk of an address that was never confirmed.
alter table app_user add column email_verified_at bigint;
update app_user set email_verified_at = created_at;

-- The links that confirm an address are one-time email tokens too, and the notices to an
-- address's owner that someone tried to sign up with it are counted there. SQLite cannot change a
-- check constraint, so the table is built again (nothing references it).
create table email_token_new (
    token_hash text primary key,
    user_id bigint not null references app_user (user_id) on delete cascade,
    purpose text not null check (purpose in ('reset', 'verify', 'taken')),
    expires_at bigint not null,
    used_at bigint,
    created_at bigint not null
);
insert into email_token_new (token_hash, user_id, purpose, expires_at, used_at, created_at)
    select token_hash, user_id, purpose, expires_at, used_at, created_at from email_token;
drop table email_token;
alter table email_token_new rename to email_token;
create index email_token_user_idx on email_token (user_id);
