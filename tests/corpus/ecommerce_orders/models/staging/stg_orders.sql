with source as (

    select * from {{ ref('raw_orders') }}

),

renamed as (

    select
        id as order_id,
        customer_id,
        status,
        ordered_at as ordered_at_utc,
        -- the shop reports in the store's local time, not UTC
        (ordered_at at time zone 'UTC') at time zone '{{ var("store_timezone") }}' as ordered_at_local
    from source

)

select
    *,
    cast(ordered_at_local as date) as order_date,
    cast(date_trunc('month', ordered_at_local) as date) as order_month
from renamed
