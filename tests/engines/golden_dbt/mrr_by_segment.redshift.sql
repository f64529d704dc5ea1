SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
  "raw_accounts"."segment" AS "segment",
  CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
FROM "main"."raw_invoices" AS "raw_invoices"
LEFT JOIN "main"."raw_accounts" AS "raw_accounts"
  ON "raw_invoices"."account_id" = "raw_accounts"."account_id"
INNER JOIN "main"."raw_contracts" AS "raw_contracts"
  ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
WHERE
  "raw_contracts"."status" = 'active'
  AND "raw_contracts"."type" = 'recurring'
  AND "raw_invoices"."status" = 'paid'
  AND "raw_invoices"."type" = 'subscription'
  AND "raw_invoices"."invoice_date" >= CAST('2026-07-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1,
  2
ORDER BY
  1,
  2
