-- Sales / RevOps: ARR by account from Salesforce contracts, at full annual contract value.
with contracts as (

    select * from {{ ref('stg_contracts') }}

),

month_spine as (

    -- every month from the first contract start to the last contract end
    select
        cast(spine.month_start as date) as month_start,
        cast(spine.month_start + interval 1 month - interval 1 day as date) as month_end
    from (
        select unnest(generate_series(
            cast(date_trunc('month', min(start_date)) as date),
            cast(date_trunc('month', max(end_date)) as date),
            interval 1 month
        )) as month_start
        from contracts
    ) as spine

)

select
    month_spine.month_start as arr_month,
    contracts.account_id,
    count(*) as contracts,
    sum(contracts.annual_value) as arr,
    cast(sum(contracts.annual_value) / 12 as decimal(18, 2)) as mrr
from month_spine
inner join contracts
    on contracts.start_date <= month_spine.month_end
    and contracts.end_date >= month_spine.month_start
where contracts.is_active
    and not contracts.is_pilot
group by all
