{#-
    A recursive month spine between two date expressions (inclusive), as a CTE body.
    Vendored so the package needs no other package.
-#}
{% macro billing_month_spine(start_expression, end_expression) -%}
    with recursive spine(date_month) as (
        select cast(date_trunc('month', {{ start_expression }}) as date)
        union all
        select cast(date_month + interval 1 month as date)
        from spine
        where date_month < cast(date_trunc('month', {{ end_expression }}) as date)
    )
    select date_month from spine
{%- endmacro %}
