-- Marketing: net sales by SKU and month (the order discount applied to each line).
select
    o.order_month,
    i.sku,
    sum(i.unit_price * i.quantity - coalesce(d.discount_amount, 0)) as net_sales
from {{ ref('stg_orders') }} as o
inner join {{ ref('stg_order_items') }} as i
    on i.order_id = o.order_id
left join {{ ref('stg_discounts') }} as d
    on d.order_id = o.order_id
where o.status in ('completed', 'shipped')
group by 1, 2
