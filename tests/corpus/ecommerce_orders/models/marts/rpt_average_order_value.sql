select
    order_month,
    avg(order_revenue) as average_order_value
from (
    select
        o.order_month,
        o.order_id,
        sum(i.unit_price * i.quantity) - max(coalesce(d.discount_amount, 0)) as order_revenue
    from {{ ref('stg_orders') }} as o
    inner join {{ ref('stg_order_items') }} as i on i.order_id = o.order_id
    left join {{ ref('stg_discounts') }} as d on d.order_id = o.order_id
    where o.status in ('completed', 'shipped')
    group by 1, 2
) as per_order
group by 1
