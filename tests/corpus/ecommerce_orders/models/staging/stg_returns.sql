select
    id as return_id,
    order_item_id,
    returned_at as returned_at_utc,
    (returned_at at time zone 'UTC') at time zone '{{ var("store_timezone") }}' as returned_at_local,
    refund_amount
from {{ ref('raw_returns') }}
