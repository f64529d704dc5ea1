-- One row per customer and month: the monthly value of the paid period running on the 1st.
with customer_months as (

    select * from {{ ref('customer_months') }}

),

subscription_periods as (

    select * from {{ ref('subscription_periods') }}

),

joined as (

    select
        customer_months.date_month,
        customer_months.customer_id,
        subscription_periods.subscription_id,
        subscription_periods.plan_code,
        coalesce(subscription_periods.monthly_amount, 0) as mrr

    from customer_months

    left join subscription_periods
        on customer_months.customer_id = subscription_periods.customer_id
        and subscription_periods.start_date <= customer_months.date_month
        and (subscription_periods.end_date > customer_months.date_month
             or subscription_periods.end_date is null)

),

final as (

    select
        date_month,
        customer_id,
        subscription_id,
        plan_code,
        mrr,
        mrr > 0 as is_active,
        mrr * 12 as arr
    from joined

)

select * from final
