-- Roles: `user` (was `customer`), `support` (reads any account; moves no money) and `admin`.
alter table app_user drop constraint app_user_role_check;
update app_user set role = 'user' where role = 'customer';
alter table app_user alter column role set default 'user';
alter table app_user add constraint app_user_role_check
    check (role in ('user', 'support', 'admin'));
