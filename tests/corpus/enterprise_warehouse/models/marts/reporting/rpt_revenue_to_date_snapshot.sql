-- Point-in-time: everything booked up to the day the model runs.
select
    current_date as snapshot_date,
    count(distinct account_id) as accounts,
    sum(revenue_amount) as revenue_to_date
from {{ ref('fct_revenue_lines') }}
where booking_date <= current_date
