-- Monthly rollups (a long range's totals read twelve rows a year, not 365), made here from
-- the daily ones for what was folded before; the fold writes them from now on. And a way in by
-- value: one service, country or provider over a long range reads only its own rows.
insert into rollup (dim, grain, bucket, product, event, dim_value, detail, events, amount_units, cost_units, value_ms)
select dim, 'month', (cast(extract(epoch from date_trunc('month', to_timestamp(bucket / 1000.0) at time zone 'UTC')) as bigint) * 1000), product, event, dim_value, detail,
    sum(events), sum(amount_units), sum(cost_units), sum(value_ms)
from rollup where grain = 'day'
group by dim, (cast(extract(epoch from date_trunc('month', to_timestamp(bucket / 1000.0) at time zone 'UTC')) as bigint) * 1000), product, event, dim_value, detail;

create index rollup_value_idx on rollup (dim, grain, dim_value, bucket);
