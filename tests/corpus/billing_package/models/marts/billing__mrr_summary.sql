with customer_mrr as (

    select * from {{ ref('billing__mrr') }}

)

select
    date_month,
    count(distinct customer_id) as paying_customers,
    sum(mrr_cents) as mrr_cents,
    {{ cents_to_dollars('sum(mrr_cents)') }} as mrr
from customer_mrr
group by 1
