with days as (

    select cast(unnest(generate_series(date '2025-01-01', date '2027-12-31', interval 1 day)) as date) as calendar_date

)

select
    cast(strftime(calendar_date, '%Y%m%d') as integer) as date_key,
    calendar_date,
    cast(date_trunc('month', calendar_date) as date) as month_start,
    extract(year from calendar_date) as calendar_year,
    extract(quarter from calendar_date) as calendar_quarter
from days
