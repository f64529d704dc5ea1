-- Paid subscription periods only: a trial is not revenue yet.
-- end_date is the day the period stopped (exclusive); null while the period runs.
select
    subscription_id,
    customer_id,
    plan_code,
    billing_interval,
    monthly_amount,
    start_date,
    end_date
from {{ ref('stg_subscriptions') }}
where status != 'trialing'
