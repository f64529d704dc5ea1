select
    account_id,
    account_name,
    region,
    created_date
from {{ source('erp', 'accounts') }}
