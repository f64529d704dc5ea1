select date_trunc('month', invoice_date) as month, count(*) as invoices, count(distinct account_id) as accounts
from raw_invoices
group by 1
