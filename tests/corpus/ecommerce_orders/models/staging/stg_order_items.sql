select
    id as order_item_id,
    order_id,
    sku,
    unit_price,
    quantity
from {{ ref('raw_order_items') }}
