with customers as (

    select * from {{ ref('stg_app__customers') }}

),

cash as (

    select
        customer_id,
        min(attempted_at) as first_payment_at,
        sum(case when is_refunded then 0 else amount_cents end) as lifetime_net_cash_cents
    from {{ ref('stg_app__payment_attempts') }}
    where outcome = 'succeeded'
    group by 1

)

select
    customers.customer_id,
    customers.email,
    customers.country_code,
    customers.is_internal,
    cash.first_payment_at,
    coalesce(cash.lifetime_net_cash_cents, 0) as lifetime_net_cash_cents
from customers
left join cash
    on customers.customer_id = cash.customer_id
