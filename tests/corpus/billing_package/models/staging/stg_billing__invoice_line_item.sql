with base as (

    select * from {{ source('billing', 'invoice_line_item') }}

),

final as (

    select
        id as invoice_line_item_id,
        invoice_id,
        price_id,
        type as line_type,
        cast(amount as bigint) as amount_cents,
        quantity,
        proration as is_proration,
        period_start,
        period_end
    from base
    {% if not var('using_invoice_line_proration', false) %}
    where not proration
    {% endif %}

)

select * from final
