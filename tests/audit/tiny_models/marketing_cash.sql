select
    strftime(p.payment_date, '%Y-%m') as pay_month,
    sum(case when p.refunded then 0 else p.amount end) as cash
from raw_payments p
group by 1
