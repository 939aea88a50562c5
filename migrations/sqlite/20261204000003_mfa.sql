-- Two-factor sign-in: a TOTP secret per account (RFC 6238), one-time recovery codes, and the
-- pending second step of a sign-in whose password was right.

create table user_mfa (
    user_id bigint primary key references app_user (user_id) on delete cascade,
    -- Base32, as authenticator apps take it.
    secret text not null,
    -- Null while the enrolment waits for its first code.
    enabled_at bigint,
    -- The last time step a code was accepted for: a code is good once (RFC 6238 §5.2).
    last_used_step bigint not null default 0,
    created_at bigint not null
);

create table mfa_recovery_code (
    recovery_code_id integer primary key autoincrement,
    user_id bigint not null references app_user (user_id) on delete cascade,
    -- SHA-256 of the code (50 random bits each; shown once).
    code_hash text not null,
    used_at bigint
);
create index mfa_recovery_code_user_idx on mfa_recovery_code (user_id);

create table mfa_challenge (
    -- SHA-256 of the token the client holds between the password and the code.
    challenge_id text primary key,
    user_id bigint not null references app_user (user_id) on delete cascade,
    expires_at bigint not null,
    attempts bigint not null default 0
);
create index mfa_challenge_expires_idx on mfa_challenge (expires_at);
