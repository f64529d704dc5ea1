-- Finance's view: every paid period that was live at any time during the month counts
-- in full for that month (both ends inclusive), so a mid-month plan change counts twice.
with months as (

    select
        date_month,
        cast(date_month + interval 1 month - interval 1 day as date) as month_end
    from {{ ref('util_months') }}

),

periods as (

    select * from {{ ref('subscription_periods') }}

)

select
    months.date_month,
    sum(periods.monthly_amount) as mrr
from months
inner join periods
    on periods.start_date <= months.month_end
    and (periods.end_date >= months.date_month or periods.end_date is null)
group by 1
