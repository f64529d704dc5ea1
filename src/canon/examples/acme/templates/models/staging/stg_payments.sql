-- Stripe payments; net_amount is what the company kept after refunds.
with source as (

    select * from {{ source('acme', 'raw_payments') }}

)

select
    payment_id,
    account_id,
    invoice_id,
    payment_date,
    amount,
    refunded,
    case when refunded then 0 else amount end as net_amount
from source
