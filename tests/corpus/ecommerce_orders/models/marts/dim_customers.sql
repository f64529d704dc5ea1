with customers as (

    select id as customer_id, first_name, country from {{ ref('raw_customers') }}

),

customer_orders as (

    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as most_recent_order_date,
        count(order_id) as number_of_orders,
        sum(order_total) as customer_lifetime_value
    from {{ ref('fct_orders') }}
    where status in ('completed', 'shipped')
    group by 1

)

select
    customers.customer_id,
    customers.first_name,
    customers.country,
    customer_orders.first_order_date,
    customer_orders.most_recent_order_date,
    coalesce(customer_orders.number_of_orders, 0) as number_of_orders,
    coalesce(customer_orders.customer_lifetime_value, 0) as customer_lifetime_value
from customers
left join customer_orders
    on customers.customer_id = customer_orders.customer_id
