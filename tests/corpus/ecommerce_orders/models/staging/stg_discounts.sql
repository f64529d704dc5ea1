select
    order_id,
    code as discount_code,
    discount_amount
from {{ ref('raw_discounts') }}
