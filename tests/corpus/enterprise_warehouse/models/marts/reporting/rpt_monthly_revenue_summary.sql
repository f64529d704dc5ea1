-- Monthly management revenue summary (board pack p.3). Do not change without Finance sign-off.
-- 23 steps
with src_lines as (

    select * from {{ source('erp', 'revenue_lines') }}

),

src_accounts as (

    select * from {{ source('erp', 'accounts') }}

),

src_excluded as (

    select account_id from {{ ref('excluded_accounts') }}

),

src_dates as (

    select * from {{ ref('dim_date') }}

),

lines_typed as (

    select line_id, account_id, booking_date_key, lower(trim(revenue_type)) as revenue_type,
           cast(amount as decimal(18, 2)) as amount, record_version, loaded_at
    from src_lines

),

lines_ranked as (

    select *, row_number() over (partition by line_id order by record_version desc, loaded_at desc) as rn
    from lines_typed

),

lines_current as (

    select * from lines_ranked where rn = 1

),

lines_not_test as (

    select * from lines_current
    where account_id not in (select account_id from src_excluded)

),

lines_recurring_types as (

    select * from lines_not_test where revenue_type in ('subscription', 'services')

),

lines_positive as (

    -- credit memo lines are handled by the credit report, not here
    select * from lines_recurring_types where amount > 0

),

lines_dated as (

    select l.*, d.calendar_date, d.first_day_of_month, d.month_key, d.fiscal_year
    from lines_positive as l
    inner join src_dates as d on l.booking_date_key = d.date_key

),

lines_with_account as (

    select l.*, a.account_name, a.region
    from lines_dated as l
    inner join src_accounts as a on l.account_id = a.account_id

),

lines_flagged as (

    select *, case when revenue_type = 'subscription' then amount else 0 end as subscription_amount,
           case when revenue_type = 'services' then amount else 0 end as services_amount
    from lines_with_account

),

month_region as (

    select first_day_of_month, month_key, region, sum(amount) as revenue,
           sum(subscription_amount) as subscription_revenue, sum(services_amount) as services_revenue
    from lines_flagged group by 1, 2, 3

),

month_totals as (

    select first_day_of_month, month_key, sum(revenue) as revenue,
           sum(subscription_revenue) as subscription_revenue, sum(services_revenue) as services_revenue
    from month_region group by 1, 2

),

month_accounts as (

    select first_day_of_month, count(distinct account_id) as active_accounts
    from lines_flagged group by 1

),

month_joined as (

    select t.*, a.active_accounts
    from month_totals as t
    left join month_accounts as a on t.first_day_of_month = a.first_day_of_month

),

month_with_prior as (

    select *, lag(revenue) over (order by first_day_of_month) as prior_month_revenue
    from month_joined

),

month_with_growth as (

    select *, case when prior_month_revenue > 0
                    then (revenue - prior_month_revenue) / prior_month_revenue end as mom_growth
    from month_with_prior

),

month_with_ytd as (

    select *, sum(revenue) over (partition by year(first_day_of_month) order by first_day_of_month
                                rows between unbounded preceding and current row) as ytd_revenue
    from month_with_growth

),

month_with_mix as (

    select *, case when revenue <> 0 then subscription_revenue / revenue end as subscription_mix
    from month_with_ytd

),

month_labeled as (

    select *, strftime(first_day_of_month, '%b %Y') as month_label
    from month_with_mix

),

final as (

    select
        first_day_of_month as report_month,
        month_key,
        month_label,
        active_accounts,
        subscription_revenue,
        services_revenue,
        revenue as total_revenue,
        prior_month_revenue,
        mom_growth,
        ytd_revenue,
        subscription_mix
    from month_labeled

)

select * from final
