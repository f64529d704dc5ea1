{#- Money columns of the invoice object, all integer cents. -#}
{% macro billing_invoice_amount_fields() -%}
    {{ return(['amount_due', 'amount_paid', 'subtotal', 'total']) }}
{%- endmacro %}
