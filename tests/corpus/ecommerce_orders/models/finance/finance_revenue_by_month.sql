-- Port of the finance team's legacy revenue query (was a saved query in the BI tool).
select
    sub.revenue_month,
    sum(case when sub.status in ('completed', 'shipped') then sub.gross - sub.discount else 0 end) as net_revenue
from (
    select
        o.id as order_id,
        o.status,
        cast(date_trunc('month', timezone('{{ var("store_timezone") }}', o.ordered_at at time zone 'UTC')) as date) as revenue_month,
        (select sum(i.unit_price * i.quantity) from {{ ref('raw_order_items') }} as i where i.order_id = o.id) as gross,
        coalesce(d.discount_amount, 0) as discount
    from {{ ref('raw_orders') }} as o
    left join {{ ref('raw_discounts') }} as d
        on d.order_id = o.id
) as sub
group by sub.revenue_month
