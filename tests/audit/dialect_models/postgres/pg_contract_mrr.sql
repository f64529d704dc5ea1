-- PostgreSQL spelling: generate_series calendar, interval arithmetic, explicit casts
with months as (
    select gs::date as month_start,
           (gs + interval '1 month' - interval '1 day')::date as month_end
    from generate_series(date '2026-01-01', date '2026-12-01', interval '1 month') as gs
)
select m.month_start, sum(c.annual_value) / 12.0 as contract_mrr
from raw_contracts c
join months m on c.start_date <= m.month_end and c.end_date >= m.month_start
where c.status = 'active' and c.type <> 'pilot'
group by m.month_start
