select
    date_trunc('month', i.invoice_date) as revenue_month,
    sum(i.amount) as revenue
from stg_invoices i
where i.status <> 'void'
group by 1
