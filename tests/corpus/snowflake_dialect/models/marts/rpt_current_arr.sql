-- What the board sees today: ARR of contracts live today, pilots excluded.
SELECT
    CURRENT_DATE() AS as_of_date,
    COUNT(*) AS live_contracts,
    SUM(annual_value) AS arr,
    arr / 12 AS mrr
FROM {{ ref('stg_contracts') }}
WHERE status = 'active'
  AND contract_type <> 'pilot'
  AND start_date <= CURRENT_DATE()
  AND COALESCE(end_date, '9999-12-31'::DATE) >= CURRENT_DATE()
  AND account_id NOT IN (SELECT account_id FROM {{ ref('test_accounts') }})
