select
    id as price_id,
    nickname as price_name,
    cast(unit_amount as bigint) as unit_amount_cents,
    recurring_interval
from {{ source('billing', 'price') }}
