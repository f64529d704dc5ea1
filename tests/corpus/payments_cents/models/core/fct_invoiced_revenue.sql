-- Billed revenue of paid invoices by month of issue, before tax (integer cents).
with invoices as (

    select * from {{ ref('stg_app__invoices') }}
    where invoice_status = 'paid'

),

lines as (

    select * from {{ ref('stg_app__invoice_lines') }}
    where line_kind in ('subscription', 'usage')

)

select
    cast(date_trunc('month', invoices.issued_at) as date) as revenue_month,
    count(distinct invoices.invoice_id) as paid_invoices,
    sum(lines.amount_cents) as revenue_cents
from lines
inner join invoices
    on lines.invoice_id = invoices.invoice_id
group by 1
