-- Marketing: gross merchandise sales in North America, every order not cancelled.
select
    cast(date_trunc('month', o.ordered_at_utc) as date) as sales_month,
    sum(i.unit_price * i.quantity) as gross_sales
from {{ ref('stg_orders') }} as o
inner join {{ ref('stg_order_items') }} as i
    on i.order_id = o.order_id
left join {{ ref('raw_customers') }} as c
    on c.id = o.customer_id
where o.status <> 'cancelled'
    and c.country in ('US', 'CA')
group by 1
