-- Marketing / Growth: revenue as cash received through Stripe, for the paid-acquisition
-- payback analysis.
with payments as (

    select * from {{ ref('stg_payments') }}

),

invoices as (

    select * from {{ ref('stg_invoices') }}

),

accounts as (

    select * from {{ ref('stg_accounts') }}

)

select
    cast(date_trunc('month', payments.payment_date) as date) as payment_month,
    accounts.segment,
    count(distinct payments.account_id) as paying_accounts,
    sum(payments.net_amount) as revenue
from payments
inner join invoices
    on payments.invoice_id = invoices.invoice_id
left join accounts
    on payments.account_id = accounts.account_id
where invoices.is_subscription
    or invoices.is_setup
group by all
