-- Sign-in backoff, shared by every instance, and the append-only audit log.

-- Failed sign-ins per key: `pair:<email> <address>`, `account:<email>`, `address:<ip>`.
create table sign_in_throttle (
    throttle_key text primary key,
    failures bigint not null,
    blocked_until bigint not null,
    updated_at bigint not null
);
create index sign_in_throttle_updated_at_idx on sign_in_throttle (updated_at);

create table audit_log (
    audit_id bigint generated always as identity primary key,
    -- Who did it: null for an anonymous caller (a failed sign-in) or the operators' CLI.
    actor_user_id bigint,
    actor_role text,
    -- Whose account it concerns, when it concerns one: shown to them on their account page.
    subject_user_id bigint,
    action text not null,
    target text not null default '',
    before_json text,
    after_json text,
    ip text not null default '',
    user_agent text not null default '',
    request_id text not null default '',
    created_at bigint not null
);
create index audit_log_subject_idx on audit_log (subject_user_id, audit_id);
create index audit_log_action_idx on audit_log (action, audit_id);
create index audit_log_created_at_idx on audit_log (created_at);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only';
end;
$$;

create trigger audit_log_no_change before update or delete on audit_log
    for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only();
