-- PostgreSQL spelling: ::casts, FILTER, EXTRACT, <> and NOT IN
select
    extract(year from i.invoice_date)::int as yr,
    extract(month from i.invoice_date)::int as mo,
    sum(i.amount) filter (where i.type = 'subscription') as subscription_revenue
from raw_invoices as i
where i.status not in ('void', 'pending')
group by 1, 2
