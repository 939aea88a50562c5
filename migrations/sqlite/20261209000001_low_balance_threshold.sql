-- A customer's own low-balance threshold, in 1/10000 units (1.00 until they change it; 0: never told).
alter table app_user add column low_balance_threshold bigint not null default 10000;
