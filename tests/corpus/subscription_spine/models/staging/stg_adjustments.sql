select
    adjustment_id,
    customer_id,
    type as adjustment_type,
    amount,
    service_date,
    cast(date_trunc('month', service_date) as date) as service_month,
    reason
from {{ ref('raw_adjustments') }}
