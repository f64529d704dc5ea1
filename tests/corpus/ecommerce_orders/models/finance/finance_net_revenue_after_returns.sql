-- Revenue of the month less refunds paid out in the month (refunds by return date).
with sales as (

    select order_month as month, sum(order_total) as revenue
    from {{ ref('fct_orders') }}
    where status in ('completed', 'shipped')
    group by 1

),

refunds as (

    select
        cast(date_trunc('month', returned_at_local) as date) as month,
        sum(refund_amount) as refunded
    from {{ ref('stg_returns') }}
    group by 1

)

select
    coalesce(sales.month, refunds.month) as revenue_month,
    coalesce(sales.revenue, 0) as revenue,
    coalesce(refunds.refunded, 0) as refunds,
    coalesce(sales.revenue, 0) - coalesce(refunds.refunded, 0) as net_revenue_after_returns
from sales
full outer join refunds
    on sales.month = refunds.month
