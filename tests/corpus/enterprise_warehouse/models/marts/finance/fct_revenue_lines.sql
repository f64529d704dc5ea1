-- Line-level revenue fact: latest version of each line, dated through dim_date, test tenants out.
select
    lines.line_id,
    lines.account_id,
    lines.booking_date_key as date_key,
    dates.calendar_date as booking_date,
    dates.first_day_of_month as booking_month,
    dates.fiscal_year,
    lines.revenue_type,
    lines.revenue_amount
from {{ ref('stg_erp__revenue_lines') }} as lines
inner join {{ ref('dim_date') }} as dates
    on lines.booking_date_key = dates.date_key
left join {{ ref('excluded_accounts') }} as excluded
    on lines.account_id = excluded.account_id
where excluded.account_id is null
