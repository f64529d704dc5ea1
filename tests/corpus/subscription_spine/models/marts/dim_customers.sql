select
    customers.customer_id,
    customers.customer_name,
    customers.segment,
    min(periods.start_date) as first_paid_date,
    count(periods.subscription_id) as paid_periods
from {{ ref('raw_customers') }} as customers
left join {{ ref('subscription_periods') }} as periods
    on customers.customer_id = periods.customer_id
group by 1, 2, 3
