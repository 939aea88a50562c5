-- Customers who bought in each week (weeks start on Monday, UTC): the distinct customers of
-- a range by week are then a count of rows, as by day (`customer_day`) and by month
-- (`customer_month`, found by cohort too).
create table customer_week (
    week bigint not null,
    user_id bigint not null,
    purchases bigint not null,
    spend_units bigint not null,
    primary key (week, user_id)
);
create index customer_month_cohort_idx on customer_month (cohort, month);

-- The history from before analytics, as activity (folded by the analytics job like any):
-- each rental and verification started, its first SMS, how it ended and its refund. What was
-- not kept then is not made up: extensions count in the rental's price, and there are no
-- purchase attempts.
update rentals set first_sms_at = (select min(m.received_at) from rental_messages m where m.rental_id = rentals.id)
    where first_sms_at is null;
update verification set first_sms_at = (select min(m.received_at) from verification_message m
    where m.verification_id = verification.verification_id)
    where first_sms_at is null;

insert into activity (at, product, event, user_id, service, country, provider, detail, amount_units, cost_units, value_ms)
select r.created_at, 'rental', 'started', r.user_id, r.service_name, r.country_code, r.provider,
    case when r.auto_renew = 1 then 'auto_renew' else '' end, r.cost, coalesce(r.provider_cost, 0),
    cast(r.original_hours as bigint) * 3600000
from rentals r where r.status <> 'failed'
order by r.created_at;

insert into activity (at, product, event, user_id, service, country, provider, detail, value_ms)
select r.first_sms_at, 'rental', 'first_sms', r.user_id, r.service_name, r.country_code, r.provider,
    case when (r.first_sms_at - r.created_at) <= 5000 then 'le_5' when (r.first_sms_at - r.created_at) <= 10000 then 'le_10' when (r.first_sms_at - r.created_at) <= 15000 then 'le_15' when (r.first_sms_at - r.created_at) <= 20000 then 'le_20' when (r.first_sms_at - r.created_at) <= 30000 then 'le_30' when (r.first_sms_at - r.created_at) <= 45000 then 'le_45' when (r.first_sms_at - r.created_at) <= 60000 then 'le_60' when (r.first_sms_at - r.created_at) <= 90000 then 'le_90' when (r.first_sms_at - r.created_at) <= 120000 then 'le_120' when (r.first_sms_at - r.created_at) <= 180000 then 'le_180' when (r.first_sms_at - r.created_at) <= 240000 then 'le_240' when (r.first_sms_at - r.created_at) <= 300000 then 'le_300' when (r.first_sms_at - r.created_at) <= 450000 then 'le_450' when (r.first_sms_at - r.created_at) <= 600000 then 'le_600' when (r.first_sms_at - r.created_at) <= 900000 then 'le_900' when (r.first_sms_at - r.created_at) <= 1200000 then 'le_1200' when (r.first_sms_at - r.created_at) <= 1800000 then 'le_1800' when (r.first_sms_at - r.created_at) <= 3600000 then 'le_3600' else 'gt_3600' end, (r.first_sms_at - r.created_at)
from rentals r where r.first_sms_at is not null and r.status <> 'failed'
order by r.first_sms_at;

insert into activity (at, product, event, user_id, service, country, provider, value_ms)
select coalesce(r.released_at, r.updated_at), 'rental', 'released', r.user_id, r.service_name, r.country_code,
    r.provider, coalesce(r.released_at, r.updated_at) - r.created_at
from rentals r where r.status = 'released';

insert into activity (at, product, event, user_id, service, country, provider, value_ms)
select r.expires_at, 'rental', 'expired', r.user_id, r.service_name, r.country_code, r.provider,
    r.expires_at - r.created_at
from rentals r where r.status = 'expired';

insert into activity (at, product, event, user_id, service, country, provider, detail, amount_units)
select l.created_at, 'rental', 'refunded', r.user_id, r.service_name, r.country_code, r.provider,
    'early_release', l.amount_units
from rentals r join ledger_entry l on l.reference = 'refund:rental:' || r.id;

insert into activity (at, product, event, user_id, service, country, provider, detail, amount_units, cost_units)
select v.created_at, 'verification', 'started', v.user_id, v.service_name, v.country_code, v.provider,
    case when v.reused_from is null then '' else 'reuse' end, v.cost, coalesce(v.provider_cost, 0)
from verification v
order by v.created_at;

insert into activity (at, product, event, user_id, service, country, provider, detail, value_ms)
select v.first_sms_at, 'verification', 'first_sms', v.user_id, v.service_name, v.country_code, v.provider,
    case when (v.first_sms_at - v.created_at) <= 5000 then 'le_5' when (v.first_sms_at - v.created_at) <= 10000 then 'le_10' when (v.first_sms_at - v.created_at) <= 15000 then 'le_15' when (v.first_sms_at - v.created_at) <= 20000 then 'le_20' when (v.first_sms_at - v.created_at) <= 30000 then 'le_30' when (v.first_sms_at - v.created_at) <= 45000 then 'le_45' when (v.first_sms_at - v.created_at) <= 60000 then 'le_60' when (v.first_sms_at - v.created_at) <= 90000 then 'le_90' when (v.first_sms_at - v.created_at) <= 120000 then 'le_120' when (v.first_sms_at - v.created_at) <= 180000 then 'le_180' when (v.first_sms_at - v.created_at) <= 240000 then 'le_240' when (v.first_sms_at - v.created_at) <= 300000 then 'le_300' when (v.first_sms_at - v.created_at) <= 450000 then 'le_450' when (v.first_sms_at - v.created_at) <= 600000 then 'le_600' when (v.first_sms_at - v.created_at) <= 900000 then 'le_900' when (v.first_sms_at - v.created_at) <= 1200000 then 'le_1200' when (v.first_sms_at - v.created_at) <= 1800000 then 'le_1800' when (v.first_sms_at - v.created_at) <= 3600000 then 'le_3600' else 'gt_3600' end, (v.first_sms_at - v.created_at)
from verification v where v.first_sms_at is not null
order by v.first_sms_at;

insert into activity (at, product, event, user_id, service, country, provider, value_ms)
select coalesce(v.finished_at, v.updated_at), 'verification', 'finished', v.user_id, v.service_name,
    v.country_code, v.provider, coalesce(v.finished_at, v.updated_at) - v.created_at
from verification v where v.status = 'finished';

insert into activity (at, product, event, user_id, service, country, provider, value_ms)
select v.updated_at, 'verification', v.status, v.user_id, v.service_name, v.country_code, v.provider,
    v.updated_at - v.created_at
from verification v where v.status in ('cancelled', 'timed_out');

insert into activity (at, product, event, user_id, service, country, provider, detail, amount_units, cost_units)
select l.created_at, 'verification', 'refunded', v.user_id, v.service_name, v.country_code, v.provider,
    v.status, l.amount_units, -coalesce(v.provider_cost, 0)
from verification v join ledger_entry l on l.reference = 'refund:verification:' || v.verification_id;
