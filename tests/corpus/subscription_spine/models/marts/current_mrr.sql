-- Point-in-time: what is live today.
select
    current_date as as_of_date,
    count(distinct customer_id) as live_customers,
    sum(monthly_amount) as mrr
from {{ ref('subscription_periods') }}
where start_date <= current_date
    and (end_date > current_date or end_date is null)
