select
    line_id,
    invoice_id,
    kind as line_kind,
    amount as amount_cents
from {{ source('app', 'invoice_lines') }}
