-- canon golden SQL: mrr {'where': "segment IN ('enterprise', 'smb')", 'period_from': '2026-10'}

-- dialect: duckdb
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
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
  AND (
    "raw_accounts"."segment" IN ('enterprise', 'smb')
  )
  AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
GROUP BY
  1
ORDER BY
  1;

-- dialect: postgres
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
  CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
FROM "public"."raw_invoices" AS "raw_invoices"
LEFT JOIN "public"."raw_accounts" AS "raw_accounts"
  ON "raw_invoices"."account_id" = "raw_accounts"."account_id"
INNER JOIN "public"."raw_contracts" AS "raw_contracts"
  ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
WHERE
  "raw_contracts"."status" = 'active'
  AND "raw_contracts"."type" = 'recurring'
  AND "raw_invoices"."status" = 'paid'
  AND "raw_invoices"."type" = 'subscription'
  AND (
    "raw_accounts"."segment" IN ('enterprise', 'smb')
  )
  AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
GROUP BY
  1
ORDER BY
  1;

-- dialect: spark
SELECT
  CAST(TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), 'MONTH') AS DATE) AS `period_start`,
  CAST(COALESCE(ROUND(SUM(`raw_invoices`.`amount`) * 100, 0), 0) AS BIGINT) AS `mrr_cents`
FROM `raw_invoices` AS `raw_invoices`
LEFT JOIN `raw_accounts` AS `raw_accounts`
  ON `raw_invoices`.`account_id` = `raw_accounts`.`account_id`
INNER JOIN `raw_contracts` AS `raw_contracts`
  ON `raw_invoices`.`contract_id` = `raw_contracts`.`contract_id`
WHERE
  `raw_contracts`.`status` = 'active'
  AND `raw_contracts`.`type` = 'recurring'
  AND `raw_invoices`.`status` = 'paid'
  AND `raw_invoices`.`type` = 'subscription'
  AND (
    `raw_accounts`.`segment` IN ('enterprise', 'smb')
  )
  AND `raw_invoices`.`invoice_date` >= CAST('2026-10-01' AS DATE)
GROUP BY
  1
ORDER BY
  1 NULLS LAST;

-- dialect: snowflake
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
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
  AND (
    "raw_accounts"."segment" IN ('enterprise', 'smb')
  )
  AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
GROUP BY
  1
ORDER BY
  1;

-- dialect: bigquery
SELECT
  CAST(DATE_TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), MONTH) AS DATE) AS `period_start`,
  CAST(COALESCE(ROUND(SUM(`raw_invoices`.`amount`) * 100, 0), 0) AS INT64) AS `mrr_cents`
FROM `main`.`raw_invoices` AS `raw_invoices`
LEFT JOIN `main`.`raw_accounts` AS `raw_accounts`
  ON `raw_invoices`.`account_id` = `raw_accounts`.`account_id`
INNER JOIN `main`.`raw_contracts` AS `raw_contracts`
  ON `raw_invoices`.`contract_id` = `raw_contracts`.`contract_id`
WHERE
  `raw_contracts`.`status` = 'active'
  AND `raw_contracts`.`type` = 'recurring'
  AND `raw_invoices`.`status` = 'paid'
  AND `raw_invoices`.`type` = 'subscription'
  AND (
    `raw_accounts`.`segment` IN ('enterprise', 'smb')
  )
  AND `raw_invoices`.`invoice_date` >= CAST('2026-10-01' AS DATE)
GROUP BY
  1
ORDER BY
  1 NULLS LAST;

-- dialect: trino
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
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
  AND (
    "raw_accounts"."segment" IN ('enterprise', 'smb')
  )
  AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
GROUP BY
  1
ORDER BY
  1;
