-- Contracts, cleaned: type and status normalized, with flags for the common filters.
with source as (

    select * from {{ source('acme', 'raw_contracts') }}

)

select
    contract_id,
    account_id,
    start_date,
    end_date,
    annual_value,
    lower(trim(type)) as type,
    lower(trim(status)) as status,
    lower(trim(type)) = 'pilot' as is_pilot,
    lower(trim(status)) = 'active' as is_active
from source
