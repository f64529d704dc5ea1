{{ config(enabled=var('using_credit_notes', true)) }}

select
    id as credit_note_id,
    invoice_id,
    cast(amount as bigint) as amount_cents,
    status,
    created as created_at
from {{ source('billing', 'credit_note') }}
