{#- Amounts arrive in the smallest currency unit (cents); reports want dollars. -#}
{% macro cents_to_dollars(column_name, scale=2) -%}
    round(cast({{ column_name }} as decimal(18, 2)) / 100, {{ scale }})
{%- endmacro %}
