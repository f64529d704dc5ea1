with base as (

    select * from {{ source('billing', 'invoice') }}

),

fields as (

    select
        id as invoice_id,
        customer_id,
        status,
        created as created_at,
        updated_at,
        {% for col in billing_invoice_amount_fields() -%}
        cast({{ col }} as bigint) as {{ col }}_cents{% if not loop.last %},{% endif %}
        {% endfor %}
    from base

),

latest as (

    select *
    from fields
    qualify row_number() over (partition by invoice_id order by updated_at desc) = 1

)

select * from latest
