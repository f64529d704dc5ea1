-- canon golden SQL: arr {'period_from': '2026-10', 'period_to': '2026-10'}

-- dialect: duckdb
SELECT
  "j"."period_start" AS "period_start",
  CAST(ROUND(CAST("j"."mrr_cents" AS DECIMAL(38, 6)) * 12, 0) AS BIGINT) AS "arr_cents"
FROM (
  SELECT
    CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
    CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
  FROM "main"."raw_invoices" AS "raw_invoices"
  INNER JOIN "main"."raw_contracts" AS "raw_contracts"
    ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
  WHERE
    "raw_contracts"."status" = 'active'
    AND "raw_contracts"."type" = 'recurring'
    AND "raw_invoices"."status" = 'paid'
    AND "raw_invoices"."type" = 'subscription'
    AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
    AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
  GROUP BY
    1
  ORDER BY
    1
) AS "j";

-- dialect: postgres
SELECT
  "j"."period_start" AS "period_start",
  CAST(ROUND(CAST("j"."mrr_cents" AS DECIMAL(38, 6)) * 12, 0) AS BIGINT) AS "arr_cents"
FROM (
  SELECT
    CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
    CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
  FROM "public"."raw_invoices" AS "raw_invoices"
  INNER JOIN "public"."raw_contracts" AS "raw_contracts"
    ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
  WHERE
    "raw_contracts"."status" = 'active'
    AND "raw_contracts"."type" = 'recurring'
    AND "raw_invoices"."status" = 'paid'
    AND "raw_invoices"."type" = 'subscription'
    AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
    AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
  GROUP BY
    1
  ORDER BY
    1
) AS "j";

-- dialect: spark
SELECT
  `j`.`period_start` AS `period_start`,
  CAST(ROUND(CAST(`j`.`mrr_cents` AS DECIMAL(38, 6)) * 12, 0) AS BIGINT) AS `arr_cents`
FROM (
  SELECT
    CAST(TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), 'MONTH') AS DATE) AS `period_start`,
    CAST(COALESCE(ROUND(SUM(`raw_invoices`.`amount`) * 100, 0), 0) AS BIGINT) AS `mrr_cents`
  FROM `raw_invoices` AS `raw_invoices`
  INNER JOIN `raw_contracts` AS `raw_contracts`
    ON `raw_invoices`.`contract_id` = `raw_contracts`.`contract_id`
  WHERE
    `raw_contracts`.`status` = 'active'
    AND `raw_contracts`.`type` = 'recurring'
    AND `raw_invoices`.`status` = 'paid'
    AND `raw_invoices`.`type` = 'subscription'
    AND `raw_invoices`.`invoice_date` >= CAST('2026-10-01' AS DATE)
    AND `raw_invoices`.`invoice_date` < CAST('2026-11-01' AS DATE)
  GROUP BY
    1
  ORDER BY
    1 NULLS LAST
) AS `j`;

-- dialect: snowflake
SELECT
  "j"."period_start" AS "period_start",
  CAST(ROUND(CAST("j"."mrr_cents" AS DECIMAL(38, 6)) * 12, 0) AS BIGINT) AS "arr_cents"
FROM (
  SELECT
    CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
    CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
  FROM "main"."raw_invoices" AS "raw_invoices"
  INNER JOIN "main"."raw_contracts" AS "raw_contracts"
    ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
  WHERE
    "raw_contracts"."status" = 'active'
    AND "raw_contracts"."type" = 'recurring'
    AND "raw_invoices"."status" = 'paid'
    AND "raw_invoices"."type" = 'subscription'
    AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
    AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
  GROUP BY
    1
  ORDER BY
    1
) AS "j";

-- dialect: bigquery
SELECT
  `j`.`period_start` AS `period_start`,
  CAST(ROUND(CAST(`j`.`mrr_cents` AS BIGNUMERIC) * 12, 0) AS INT64) AS `arr_cents`
FROM (
  SELECT
    CAST(DATE_TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), MONTH) AS DATE) AS `period_start`,
    CAST(COALESCE(ROUND(SUM(`raw_invoices`.`amount`) * 100, 0), 0) AS INT64) AS `mrr_cents`
  FROM `main`.`raw_invoices` AS `raw_invoices`
  INNER JOIN `main`.`raw_contracts` AS `raw_contracts`
    ON `raw_invoices`.`contract_id` = `raw_contracts`.`contract_id`
  WHERE
    `raw_contracts`.`status` = 'active'
    AND `raw_contracts`.`type` = 'recurring'
    AND `raw_invoices`.`status` = 'paid'
    AND `raw_invoices`.`type` = 'subscription'
    AND `raw_invoices`.`invoice_date` >= CAST('2026-10-01' AS DATE)
    AND `raw_invoices`.`invoice_date` < CAST('2026-11-01' AS DATE)
  GROUP BY
    1
  ORDER BY
    1 NULLS LAST
) AS `j`;

-- dialect: trino
SELECT
  "j"."period_start" AS "period_start",
  CAST(ROUND(CAST("j"."mrr_cents" AS DECIMAL(38, 6)) * 12, 0) AS BIGINT) AS "arr_cents"
FROM (
  SELECT
    CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
    CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
  FROM "main"."raw_invoices" AS "raw_invoices"
  INNER JOIN "main"."raw_contracts" AS "raw_contracts"
    ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
  WHERE
    "raw_contracts"."status" = 'active'
    AND "raw_contracts"."type" = 'recurring'
    AND "raw_invoices"."status" = 'paid'
    AND "raw_invoices"."type" = 'subscription'
    AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
    AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
  GROUP BY
    1
  ORDER BY
    1
) AS "j";
