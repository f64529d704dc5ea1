select
    cal.month_start,
    sum(cash.gross_cash_cents) as gross_cash_cents,
    sum(cash.refunded_cents) as refunded_cents,
    sum(cash.net_cash_cents) as net_cash_cents
from {{ ref('fct_cash_daily') }} as cash
inner join {{ ref('dim_calendar') }} as cal
    on cash.date_key = cal.date_key
group by 1
