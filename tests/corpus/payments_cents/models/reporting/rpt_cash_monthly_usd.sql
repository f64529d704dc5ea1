-- Same numbers as fct_cash_monthly, in dollars, for the finance deck.
select
    date_trunc('month', attempted_at) as cash_month,
    sum(case when not is_refunded then amount_cents else 0 end) / 100.0 as net_cash_usd
from {{ ref('stg_app__payment_attempts') }}
where outcome = 'succeeded'
group by 1
