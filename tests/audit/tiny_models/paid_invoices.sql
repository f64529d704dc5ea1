select * from stg_invoices where status = 'paid'
