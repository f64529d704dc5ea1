-- Growth team: cash per external customer and month; $0 card checks and dispute debits left out.
with attempts as (

    select * from {{ ref('stg_app__payment_attempts') }}

),

customers as (

    select * from {{ ref('stg_app__customers') }}

)

select
    attempts.customer_id,
    customers.country_code,
    cast(date_trunc('month', attempts.attempted_at) as date) as cash_month,
    sum(attempts.amount_cents - case when attempts.is_refunded then attempts.amount_cents else 0 end) as net_cash_cents
from attempts
left join customers
    on attempts.customer_id = customers.customer_id
where attempts.outcome = 'succeeded'
    and attempts.amount_cents > 0
    and customers.is_internal = false
group by 1, 2, 3
