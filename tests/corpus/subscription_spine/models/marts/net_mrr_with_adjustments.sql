-- MRR with the month's goodwill credits and manual charges booked against it.
-- Credits are stored as positive amounts; they reduce the month.
with monthly_mrr as (

    select date_month, sum(mrr) as mrr
    from {{ ref('mrr') }}
    group by 1

),

monthly_adjustments as (

    select
        service_month,
        sum(case when adjustment_type = 'credit' then -amount else amount end) as adjustments
    from {{ ref('stg_adjustments') }}
    group by 1

)

select
    coalesce(monthly_mrr.date_month, monthly_adjustments.service_month) as date_month,
    coalesce(monthly_mrr.mrr, 0) as subscription_mrr,
    coalesce(monthly_adjustments.adjustments, 0) as adjustments,
    coalesce(monthly_mrr.mrr, 0) + coalesce(monthly_adjustments.adjustments, 0) as net_mrr
from monthly_mrr
full outer join monthly_adjustments
    on monthly_mrr.date_month = monthly_adjustments.service_month
