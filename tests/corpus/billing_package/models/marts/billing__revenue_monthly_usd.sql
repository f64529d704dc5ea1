select
    revenue_month,
    {{ cents_to_dollars('gross_revenue_cents') }} as gross_revenue,
    {{ cents_to_dollars('credited_cents') }} as credited,
    {{ cents_to_dollars('revenue_cents') }} as revenue
from {{ ref('billing__revenue_monthly') }}
