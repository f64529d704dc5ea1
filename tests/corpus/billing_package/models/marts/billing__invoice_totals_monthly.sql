-- Quick invoice roll-up straight off the connector table (header totals).
select
    cast(date_trunc('month', created) as date) as invoice_month,
    count(distinct id) as invoices,
    sum(total) as invoiced_cents
from {{ source('billing', 'invoice') }}
where status in ('paid', 'open')
group by 1
