-- Collections view: billed revenue beside how hard it was to collect.
-- (Joins every line to every attempt of its invoice.)
select
    cast(date_trunc('month', inv.issued_at) as date) as revenue_month,
    sum(line.amount_cents) as revenue_cents,
    count(att.attempt_id) as attempts,
    sum(case when att.outcome = 'failed' then 1 else 0 end) as failed_attempts
from {{ ref('stg_app__invoice_lines') }} as line
inner join {{ ref('stg_app__invoices') }} as inv
    on line.invoice_id = inv.invoice_id
inner join {{ ref('stg_app__payment_attempts') }} as att
    on att.invoice_id = inv.invoice_id
where inv.invoice_status = 'paid'
    and line.line_kind <> 'tax'
group by 1
