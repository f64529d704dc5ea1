-- Average monthly revenue per billed account: SUM per account and month, then AVG per month.
with account_months as (

    select
        booking_month,
        account_id,
        sum(revenue_amount) as account_month_revenue
    from {{ ref('fct_revenue_lines') }}
    group by 1, 2

)

select
    booking_month,
    count(*) as billed_accounts,
    avg(account_month_revenue) as avg_revenue_per_account
from account_months
group by booking_month
