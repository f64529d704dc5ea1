with source as (

    select * from {{ source('erp', 'revenue_lines') }}

),

versioned as (

    select
        *,
        row_number() over (partition by line_id order by record_version desc, loaded_at desc) as version_rank
    from source

)

select
    line_id,
    account_id,
    booking_date_key,
    revenue_type,
    amount as revenue_amount,
    record_version,
    loaded_at
from versioned
where version_rank = 1
