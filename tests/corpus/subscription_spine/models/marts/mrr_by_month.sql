select
    date_month,
    sum(mrr) as mrr,
    count(distinct case when is_active then customer_id end) as active_customers
from {{ ref('mrr') }}
group by 1
