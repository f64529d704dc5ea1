-- Net revenue (after discounts) of orders that went out, by local order month.
with orders as (

    select * from {{ ref('fct_orders') }}
    where status in ('completed', 'shipped')

)

select
    order_month,
    count(*) as orders,
    sum(order_total) as revenue
from orders
group by 1
