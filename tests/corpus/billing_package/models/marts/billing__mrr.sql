select
    date_month,
    customer_id,
    sum(mrr_cents) as mrr_cents
from {{ ref('int_billing__subscription_line_months') }}
group by 1, 2
