-- A customer's choice to get their notifications by email too (1) or only in the app (0).
alter table app_user add column notify_by_email bigint not null default 0;
