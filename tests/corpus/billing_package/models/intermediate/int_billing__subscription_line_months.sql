-- Spreads each subscription line over the months its service period covers (end exclusive).
with lines as (

    select *
    from {{ ref('int_billing__invoice_lines_enriched') }}
    where line_type = 'subscription'
        and invoice_status in ('paid', 'open')

),

months as (

    {{ billing_month_spine(
        "(select min(period_start) from " ~ ref('stg_billing__invoice_line_item') ~ ")",
        "(select max(period_start) from " ~ ref('stg_billing__invoice_line_item') ~ ")"
    ) }}

),

spread as (

    select
        months.date_month,
        lines.customer_id,
        lines.invoice_line_item_id,
        lines.recurring_interval,
        case
            when lines.recurring_interval = 'year' then lines.amount_cents / 12
            else lines.amount_cents
        end as mrr_cents
    from lines
    inner join months
        on lines.period_start <= months.date_month
        and lines.period_end > months.date_month

)

select * from spread
