with source as (

    select * from {{ ref('raw_subscriptions') }}

),

renamed as (

    select
        subscription_id,
        customer_id,
        plan_code,
        status,
        billing_interval,
        unit_amount,
        quantity,
        start_date,
        end_date,

        -- list price of the period, expressed per month whatever the billing interval
        case
            when billing_interval = 'month' then unit_amount * quantity
            when billing_interval = 'year' then unit_amount * quantity / 12
            when billing_interval = 'week' then unit_amount * quantity * 52 / 12
        end as monthly_amount

    from source

)

select * from renamed
