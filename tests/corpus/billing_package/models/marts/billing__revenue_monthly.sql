with invoice_net as (

    select * from {{ ref('int_billing__invoice_net') }}

),

paid as (

    select
        cast(date_trunc('month', invoice_created_at) as date) as revenue_month,
        invoice_id,
        line_amount_cents,
        credited_cents,
        net_amount_cents
    from invoice_net
    where invoice_status = 'paid'

),

monthly as (

    select
        revenue_month,
        count(*) as paid_invoices,
        {% for col in ['line_amount_cents', 'credited_cents', 'net_amount_cents'] %}
        sum({{ col }}) as {{ col }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from paid
    group by 1

)

select
    revenue_month,
    paid_invoices,
    line_amount_cents as gross_revenue_cents,
    credited_cents,
    net_amount_cents as revenue_cents
from monthly
