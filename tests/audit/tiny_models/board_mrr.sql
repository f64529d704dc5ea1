select
    extract(year from invoice_date) as y,
    extract(month from invoice_date) as m,
    sum(amount) as board_mrr
from raw_invoices
where type = 'subscription'
  and status = 'paid'
  and contract_id in (
      select contract_id from raw_contracts
      where type = 'recurring' and status = 'active'
  )
group by 1, 2
