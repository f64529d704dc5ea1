with invoice as (

    select * from {{ ref('stg_billing__invoice') }}

),

line_item as (

    select * from {{ ref('stg_billing__invoice_line_item') }}

),

price as (

    select * from {{ ref('stg_billing__price') }}

),

joined as (

    select
        line_item.invoice_line_item_id,
        line_item.invoice_id,
        invoice.customer_id,
        invoice.status as invoice_status,
        invoice.created_at as invoice_created_at,
        line_item.line_type,
        line_item.amount_cents,
        line_item.quantity,
        line_item.period_start,
        line_item.period_end,
        price.recurring_interval
    from line_item
    inner join invoice
        on line_item.invoice_id = invoice.invoice_id
    left join price
        on line_item.price_id = price.price_id

)

select * from joined
