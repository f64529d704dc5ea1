select
    account_id,
    min(booking_date) as first_booking_date,
    max(booking_date) as last_booking_date,
    count(*) as revenue_lines,
    sum(revenue_amount) as lifetime_revenue
from {{ ref('fct_revenue_lines') }}
group by account_id
