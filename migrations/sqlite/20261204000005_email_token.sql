-- One-time links sent by email (password reset): the SHA-256 of the token in the link, for 30
-- minutes, used once.
create table email_token (
    token_hash text primary key,
    user_id bigint not null references app_user (user_id) on delete cascade,
    purpose text not null check (purpose in ('reset')),
    expires_at bigint not null,
    used_at bigint,
    created_at bigint not null
);
create index email_token_user_idx on email_token (user_id);
