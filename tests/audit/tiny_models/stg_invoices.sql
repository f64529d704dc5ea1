-- staging: normalize the type, drop rows without an id
select
    invoice_id,
    account_id,
    contract_id,
    invoice_date,
    amount,
    lower(trim(type)) as invoice_type,
    status
from raw_invoices
where invoice_id is not null
