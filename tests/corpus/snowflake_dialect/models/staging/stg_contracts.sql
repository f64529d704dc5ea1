SELECT
    contract_id,
    account_id,
    start_date::DATE AS start_date,
    end_date::DATE AS end_date,
    annual_value::NUMBER(12, 2) AS annual_value,
    contract_type,
    status,
    updated_at
FROM {{ ref('raw_contracts') }}
QUALIFY ROW_NUMBER() OVER (PARTITION BY contract_id ORDER BY updated_at DESC) = 1
