-- Roles: `user` (was `customer`), `support` (reads any account; moves no money) and `admin`.
-- SQLite cannot change a CHECK constraint in place, and rebuilding `app_user` would cascade to
-- its sessions and keys: the column is replaced instead, within this migration's transaction.
alter table app_user add column new_role text not null default 'user'
    check (new_role in ('user', 'support', 'admin'));
update app_user set new_role = case role when 'admin' then 'admin' else 'user' end;
alter table app_user drop column role;
alter table app_user rename column new_role to role;
