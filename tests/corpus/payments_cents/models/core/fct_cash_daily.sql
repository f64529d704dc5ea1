-- Cash collected per day (integer cents): successful attempts, minus the ones refunded since.
select
    attempted_date_key as date_key,
    count(*) as successful_attempts,
    sum(amount_cents) as gross_cash_cents,
    sum(case when is_refunded then amount_cents else 0 end) as refunded_cents,
    sum(amount_cents) - sum(case when is_refunded then amount_cents else 0 end) as net_cash_cents
from {{ ref('stg_app__payment_attempts') }}
where outcome = 'succeeded'
group by 1
