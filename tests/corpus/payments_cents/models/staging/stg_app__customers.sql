select
    customer_id,
    lower(email) as email,
    country as country_code,
    is_internal
from {{ source('app', 'customers') }}
