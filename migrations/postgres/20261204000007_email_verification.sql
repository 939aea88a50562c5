-- When the account's address was confirmed by a mailed link (null: not yet). Accounts made
-- before the links existed count as confirmed: they were trusted with mail until now, and
-- taking it away (notifications by email, operators' alerts) without telling them would be
-- worse than the risk of an address that was never confirmed.
alter table app_user add column email_verified_at bigint;
update app_user set email_verified_at = created_at;

-- The links that confirm an address are one-time email tokens too, and the notices to an
-- address's owner that someone tried to sign up with it are counted there.
alter table email_token drop constraint email_token_purpose_check;
alter table email_token add constraint email_token_purpose_check
    check (purpose in ('reset', 'verify', 'taken'));
