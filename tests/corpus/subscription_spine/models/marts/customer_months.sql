-- Every month between a customer's first paid period and their last one (or the end of the spine).
with subscription_periods as (

    select * from {{ ref('subscription_periods') }}

),

months as (

    select * from {{ ref('util_months') }}

),

customers as (

    select
        customer_id,
        date_trunc('month', min(start_date)) as date_month_start,
        date_trunc('month', max(coalesce(end_date, date '9999-12-31'))) as date_month_end
    from subscription_periods
    group by 1

),

final as (

    select
        months.date_month,
        customers.customer_id
    from customers
    inner join months
        on months.date_month >= customers.date_month_start
        and months.date_month <= customers.date_month_end

)

select * from final
