-- Annual run rate reported to the board: twelve times the month's MRR.
select
    date_month,
    sum(mrr) * 12 as arr
from {{ ref('mrr') }}
group by date_month
