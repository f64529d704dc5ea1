with months as (
    select
        cast(range as date) as month_start,
        cast(range + interval 1 month - interval 1 day as date) as month_end
    from range(date '2026-01-01', date '2027-01-01', interval 1 month)
)
select
    m.month_start,
    c.account_id,
    sum(c.annual_value) as arr,
    sum(c.annual_value) / 12 as mrr
from stg_contracts c
join months m
  on c.start_date <= m.month_end
 and c.end_date >= m.month_start
where c.status = 'active'
  and not c.is_pilot
group by 1, 2
