select
    id as customer_id,
    email,
    created as created_at,
    is_deleted
from {{ source('billing', 'customer') }}
