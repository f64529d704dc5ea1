-- Finance: revenue as invoiced by the billing system (finance dashboard, board deck).
-- Annual contracts are already prorated monthly by billing (each subscription invoice is one
-- twelfth of the contract value), so invoice amounts are used as they are.
with invoices as (

    select * from {{ ref('stg_invoices') }}

),

accounts as (

    select * from {{ ref('stg_accounts') }}

)

select
    cast(date_trunc('month', invoices.invoice_date) as date) as revenue_month,
    accounts.segment,
    count(distinct invoices.account_id) as invoiced_accounts,
    sum(invoices.amount) as revenue
from invoices
left join accounts
    on invoices.account_id = accounts.account_id
where (
        invoices.is_subscription
        or invoices.is_setup
        or invoices.is_credit
    )
    and invoices.status != 'void'
group by all
