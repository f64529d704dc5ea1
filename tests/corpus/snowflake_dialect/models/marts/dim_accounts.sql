SELECT
    a.account_id,
    a.account_name,
    a.segment,
    MIN(c.start_date) AS first_contract_start,
    COUNT(c.contract_id) AS contracts,
    IFF(t.account_id IS NOT NULL, TRUE, FALSE) AS is_test_account
FROM {{ ref('raw_accounts') }} AS a
LEFT JOIN {{ ref('stg_contracts') }} AS c ON c.account_id = a.account_id
LEFT JOIN {{ ref('test_accounts') }} AS t ON t.account_id = a.account_id
GROUP BY ALL
