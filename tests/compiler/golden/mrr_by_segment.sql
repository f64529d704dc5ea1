-- canon golden SQL: mrr {'by': ['segment'], 'period_from': '2025-05', 'period_to': '2026-10'}

-- dialect: duckdb
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
  AND "raw_invoices"."invoice_date" >= CAST('2025-05-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1,
  2
ORDER BY
  1,
  2;

-- dialect: postgres
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
  "raw_accounts"."segment" AS "segment",
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
  AND "raw_invoices"."invoice_date" >= CAST('2025-05-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1,
  2
ORDER BY
  1,
  2;

-- dialect: spark
SELECT
  CAST(TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), 'MONTH') AS DATE) AS `period_start`,
  `raw_accounts`.`segment` AS `segment`,
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
  AND `raw_invoices`.`invoice_date` >= CAST('2025-05-01' AS DATE)
  AND `raw_invoices`.`invoice_date` < CAST('2026-11-01' AS DATE)
GROUP BY
  1,
  2
ORDER BY
  1 NULLS LAST,
  2 NULLS LAST;

-- dialect: snowflake
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
  AND "raw_invoices"."invoice_date" >= CAST('2025-05-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1,
  2
ORDER BY
  1,
  2;

-- dialect: bigquery
SELECT
  CAST(DATE_TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), MONTH) AS DATE) AS `period_start`,
  `raw_accounts`.`segment` AS `segment`,
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
  AND `raw_invoices`.`invoice_date` >= CAST('2025-05-01' AS DATE)
  AND `raw_invoices`.`invoice_date` < CAST('2026-11-01' AS DATE)
GROUP BY
  1,
  2
ORDER BY
  1 NULLS LAST,
  2 NULLS LAST;

-- dialect: trino
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
  AND "raw_invoices"."invoice_date" >= CAST('2025-05-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1,
  2
ORDER BY
  1,
  2;
