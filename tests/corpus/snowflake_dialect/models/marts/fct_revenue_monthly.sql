-- Invoiced subscription revenue by Pacific-time month; credits reduce it, setup fees are
-- not revenue here.
SELECT
    invoice_month,
    SUM(IFF(invoice_type = 'credit', -amount, amount)) AS revenue,
    COUNT(DISTINCT account_id) AS invoiced_accounts
FROM {{ ref('stg_invoices') }} AS i
WHERE status = 'paid'
  AND invoice_type <> 'setup'
  AND account_id NOT IN (SELECT account_id FROM {{ ref('test_accounts') }})
GROUP BY invoice_month
