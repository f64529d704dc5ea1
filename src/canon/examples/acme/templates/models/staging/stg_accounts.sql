-- Account master, one row per account; names and enums cleaned.
with source as (

    select * from {{ source('acme', 'raw_accounts') }}

)

select
    account_id,
    trim(name) as name,
    lower(trim(segment)) as segment,
    lower(trim(industry)) as industry,
    trim(sales_rep) as sales_rep,
    created_at
from source
