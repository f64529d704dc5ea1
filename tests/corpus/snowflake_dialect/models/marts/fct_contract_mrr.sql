-- One row per live contract per month (no SUM): a contract counts in every month whose first
-- day falls between its start and end date, both inclusive; evergreen contracts have no end.
WITH months AS (
    SELECT DATEADD(month, SEQ4(), '2025-01-01'::DATE) AS month_start
    FROM TABLE(GENERATOR(ROWCOUNT => 36))
),

contracts AS (
    SELECT c.*
    FROM {{ ref('stg_contracts') }} AS c
    WHERE c.status = 'active'
      AND NOT EXISTS (SELECT 1 FROM {{ ref('test_accounts') }} AS t WHERE t.account_id = c.account_id)
)

SELECT
    m.month_start,
    c.account_id,
    c.contract_id,
    c.contract_type,
    IFF(c.contract_type = 'pilot', 0, c.annual_value / 12) AS mrr,
    mrr * 12 AS arr,
    IFF(mrr > 0, TRUE, FALSE) AS is_paying
FROM months AS m
JOIN contracts AS c
  ON c.start_date <= m.month_start
 AND (c.end_date >= m.month_start OR c.end_date IS NULL)
WHERE m.month_start <= DATE_TRUNC('month', CURRENT_DATE())
