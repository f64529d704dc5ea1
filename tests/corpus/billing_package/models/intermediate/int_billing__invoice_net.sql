with lines as (

    select * from {{ ref('int_billing__invoice_lines_enriched') }}

),

invoice_totals as (

    select
        invoice_id,
        customer_id,
        invoice_status,
        invoice_created_at,
        sum(amount_cents) as line_amount_cents
    from lines
    group by 1, 2, 3, 4

),

{% if var('using_credit_notes', true) %}
credit_notes as (

    select
        invoice_id,
        sum(amount_cents) as credited_cents
    from {{ ref('stg_billing__credit_note') }}
    where status = 'issued'
    group by 1

),
{% endif %}

final as (

    select
        invoice_totals.invoice_id,
        invoice_totals.customer_id,
        invoice_totals.invoice_status,
        invoice_totals.invoice_created_at,
        invoice_totals.line_amount_cents,
        {% if var('using_credit_notes', true) %}
        coalesce(credit_notes.credited_cents, 0) as credited_cents,
        invoice_totals.line_amount_cents - coalesce(credit_notes.credited_cents, 0) as net_amount_cents
        {% else %}
        0 as credited_cents,
        invoice_totals.line_amount_cents as net_amount_cents
        {% endif %}
    from invoice_totals
    {% if var('using_credit_notes', true) %}
    left join credit_notes
        on invoice_totals.invoice_id = credit_notes.invoice_id
    {% endif %}

)

select * from final
