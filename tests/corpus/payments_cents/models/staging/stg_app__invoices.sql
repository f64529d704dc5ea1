select
    invoice_id,
    customer_id,
    issued_at,
    cast(issued_at as date) as issued_date,
    status as invoice_status
from {{ source('app', 'invoices') }}
