-- Invoices, cleaned, with one flag per invoice type.
with source as (

    select * from {{ source('acme', 'raw_invoices') }}

)

select
    invoice_id,
    account_id,
    contract_id,
    invoice_date,
    amount,
    lower(trim(type)) as type,
    lower(trim(status)) as status,
    lower(trim(type)) = 'subscription' as is_subscription,
    lower(trim(type)) = 'setup' as is_setup,
    lower(trim(type)) = 'credit' as is_credit
from source
