select
    attempt_id,
    invoice_id,
    customer_id,
    attempted_at,
    cast(strftime(attempted_at, '%Y%m%d') as integer) as attempted_date_key,
    attempt_type,
    amount as amount_cents,
    outcome,
    refunded as is_refunded
from {{ source('app', 'payment_attempts') }}
