select
    cast(date_trunc('month', attempted_at) as date) as attempt_month,
    count(*) as attempts,
    count(*) filter (where outcome = 'failed') as failed_attempts,
    count(distinct customer_id) as paying_customers
from {{ ref('stg_app__payment_attempts') }}
where attempt_type = 'charge'
group by 1
