with orders as (

    select * from {{ ref('stg_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

discounts as (

    select * from {{ ref('stg_discounts') }}

),

order_totals as (

    select
        order_id,
        count(*) as item_lines,
        sum(quantity) as units,
        sum(unit_price * quantity) as subtotal
    from order_items
    group by 1

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.status,
        orders.ordered_at_local,
        orders.order_date,
        orders.order_month,
        order_totals.item_lines,
        order_totals.units,
        order_totals.subtotal,
        coalesce(discounts.discount_amount, 0) as discount_amount,
        order_totals.subtotal - coalesce(discounts.discount_amount, 0) as order_total
    from orders
    left join order_totals
        on orders.order_id = order_totals.order_id
    left join discounts
        on orders.order_id = discounts.order_id

)

select * from final
