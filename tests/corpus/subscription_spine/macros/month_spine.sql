{#-
    One row per calendar month, from the month of the earliest `start_column` to the month
    of the latest `end_column` found in `relation`. Written here rather than pulled from a
    package so the project builds offline.
-#}
{% macro month_spine(relation, start_column, end_column) %}
    with spine_bounds as (
        select
            date_trunc('month', min({{ start_column }})) as first_month,
            date_trunc('month', max({{ end_column }})) as last_month
        from {{ relation }}
    )
    select cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as date_month
    from spine_bounds
{% endmacro %}
