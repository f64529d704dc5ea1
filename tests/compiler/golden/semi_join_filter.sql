-- canon golden SQL: collected_subscriptions {'period_from': '2026-10', 'period_to': '2026-10'}

-- dialect: duckdb
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
  CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "collected_subscriptions_cents"
FROM "main"."raw_invoices" AS "raw_invoices"
WHERE
  "raw_invoices"."type" = 'subscription'
  AND EXISTS(
    SELECT
      1
    FROM "main"."raw_payments" AS "raw_payments"
    WHERE
      "raw_invoices"."invoice_id" = "raw_payments"."invoice_id"
      AND "raw_payments"."refunded" = FALSE
  )
  AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1
ORDER BY
  1;

-- dialect: postgres
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
  CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "collected_subscriptions_cents"
FROM "public"."raw_invoices" AS "raw_invoices"
WHERE
  "raw_invoices"."type" = 'subscription'
  AND EXISTS(
    SELECT
      1
    FROM "public"."raw_payments" AS "raw_payments"
    WHERE
      "raw_invoices"."invoice_id" = "raw_payments"."invoice_id"
      AND "raw_payments"."refunded" = FALSE
  )
  AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1
ORDER BY
  1;

-- dialect: spark
SELECT
  CAST(TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), 'MONTH') AS DATE) AS `period_start`,
  CAST(COALESCE(ROUND(SUM(`raw_invoices`.`amount`) * 100, 0), 0) AS BIGINT) AS `collected_subscriptions_cents`
FROM `raw_invoices` AS `raw_invoices`
WHERE
  `raw_invoices`.`type` = 'subscription'
  AND EXISTS(
    SELECT
      1
    FROM `raw_payments` AS `raw_payments`
    WHERE
      `raw_invoices`.`invoice_id` = `raw_payments`.`invoice_id`
      AND `raw_payments`.`refunded` = FALSE
  )
  AND `raw_invoices`.`invoice_date` >= CAST('2026-10-01' AS DATE)
  AND `raw_invoices`.`invoice_date` < CAST('2026-11-01' AS DATE)
GROUP BY
  1
ORDER BY
  1 NULLS LAST;

-- dialect: snowflake
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
  CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "collected_subscriptions_cents"
FROM "main"."raw_invoices" AS "raw_invoices"
WHERE
  "raw_invoices"."type" = 'subscription'
  AND EXISTS(
    SELECT
      1
    FROM "main"."raw_payments" AS "raw_payments"
    WHERE
      "raw_invoices"."invoice_id" = "raw_payments"."invoice_id"
      AND "raw_payments"."refunded" = FALSE
  )
  AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1
ORDER BY
  1;

-- dialect: bigquery
SELECT
  CAST(DATE_TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), MONTH) AS DATE) AS `period_start`,
  CAST(COALESCE(ROUND(SUM(`raw_invoices`.`amount`) * 100, 0), 0) AS INT64) AS `collected_subscriptions_cents`
FROM `main`.`raw_invoices` AS `raw_invoices`
WHERE
  `raw_invoices`.`type` = 'subscription'
  AND EXISTS(
    SELECT
      1
    FROM `main`.`raw_payments` AS `raw_payments`
    WHERE
      `raw_invoices`.`invoice_id` = `raw_payments`.`invoice_id`
      AND `raw_payments`.`refunded` = FALSE
  )
  AND `raw_invoices`.`invoice_date` >= CAST('2026-10-01' AS DATE)
  AND `raw_invoices`.`invoice_date` < CAST('2026-11-01' AS DATE)
GROUP BY
  1
ORDER BY
  1 NULLS LAST;

-- dialect: trino
SELECT
  CAST(DATE_TRUNC('MONTH', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
  CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "collected_subscriptions_cents"
FROM "main"."raw_invoices" AS "raw_invoices"
WHERE
  "raw_invoices"."type" = 'subscription'
  AND EXISTS(
    SELECT
      1
    FROM "main"."raw_payments" AS "raw_payments"
    WHERE
      "raw_invoices"."invoice_id" = "raw_payments"."invoice_id"
      AND "raw_payments"."refunded" = FALSE
  )
  AND "raw_invoices"."invoice_date" >= CAST('2026-10-01' AS DATE)
  AND "raw_invoices"."invoice_date" < CAST('2026-11-01' AS DATE)
GROUP BY
  1
ORDER BY
  1;
