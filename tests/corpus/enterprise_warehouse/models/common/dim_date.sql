with calendar as (

    select cast(unnest(generate_series(date '2024-01-01', date '2027-12-31', interval 1 day)) as date) as calendar_date

)

select
    cast(year(calendar_date) * 10000 + month(calendar_date) * 100 + day(calendar_date) as integer) as date_key,
    calendar_date,
    cast(date_trunc('month', calendar_date) as date) as first_day_of_month,
    cast(year(calendar_date) * 100 + month(calendar_date) as integer) as month_key,
    year(calendar_date) as calendar_year,
    quarter(calendar_date) as calendar_quarter,
    month(calendar_date) as calendar_month,
    dayname(calendar_date) as day_name,
    -- fiscal year starts in February
    case when month(calendar_date) >= 2 then year(calendar_date) + 1 else year(calendar_date) end as fiscal_year
from calendar
