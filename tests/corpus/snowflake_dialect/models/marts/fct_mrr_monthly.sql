SELECT
    month_start,
    COUNT_IF(is_paying) AS paying_contracts,
    SUM(mrr) AS total_mrr,
    total_mrr * 12 AS total_arr
FROM {{ ref('fct_contract_mrr') }}
GROUP BY 1
