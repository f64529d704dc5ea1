-- canon golden SQL: mrr cash {'grain': 'week', 'period_from': '2026-W40', 'period_to': '2026-W44'}

-- dialect: duckdb
SELECT
  "u"."period_start" AS "period_start",
  MAX("u"."mrr_cents") AS "mrr_cents",
  MAX("u"."cash_cents") AS "cash_cents"
FROM (
  SELECT
    "q0"."period_start" AS "period_start",
    CAST("q0"."mrr_cents" AS BIGINT) AS "mrr_cents",
    CAST(NULL AS BIGINT) AS "cash_cents"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
      CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
    FROM "main"."raw_invoices" AS "raw_invoices"
    INNER JOIN "main"."raw_contracts" AS "raw_contracts"
      ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
    WHERE
      "raw_contracts"."status" = 'active'
      AND "raw_contracts"."type" = 'recurring'
      AND "raw_invoices"."status" = 'paid'
      AND "raw_invoices"."type" = 'subscription'
      AND "raw_invoices"."invoice_date" >= CAST('2026-09-28' AS DATE)
      AND "raw_invoices"."invoice_date" < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1
  ) AS "q0"
  UNION ALL
  SELECT
    "q1"."period_start" AS "period_start",
    CAST(NULL AS BIGINT) AS "mrr_cents",
    CAST("q1"."cash_cents" AS BIGINT) AS "cash_cents"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("raw_payments"."payment_date" AS DATE)) AS DATE) AS "period_start",
      CAST(COALESCE(ROUND(SUM("raw_payments"."amount") * 100, 0), 0) AS BIGINT) AS "cash_cents"
    FROM "main"."raw_payments" AS "raw_payments"
    WHERE
      "raw_payments"."refunded" = FALSE
      AND "raw_payments"."payment_date" >= CAST('2026-09-28' AS DATE)
      AND "raw_payments"."payment_date" < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1
  ) AS "q1"
) AS "u"
GROUP BY
  1
ORDER BY
  1;

-- dialect: postgres
SELECT
  "u"."period_start" AS "period_start",
  MAX("u"."mrr_cents") AS "mrr_cents",
  MAX("u"."cash_cents") AS "cash_cents"
FROM (
  SELECT
    "q0"."period_start" AS "period_start",
    CAST("q0"."mrr_cents" AS BIGINT) AS "mrr_cents",
    CAST(NULL AS BIGINT) AS "cash_cents"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
      CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
    FROM "public"."raw_invoices" AS "raw_invoices"
    INNER JOIN "public"."raw_contracts" AS "raw_contracts"
      ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
    WHERE
      "raw_contracts"."status" = 'active'
      AND "raw_contracts"."type" = 'recurring'
      AND "raw_invoices"."status" = 'paid'
      AND "raw_invoices"."type" = 'subscription'
      AND "raw_invoices"."invoice_date" >= CAST('2026-09-28' AS DATE)
      AND "raw_invoices"."invoice_date" < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1
  ) AS "q0"
  UNION ALL
  SELECT
    "q1"."period_start" AS "period_start",
    CAST(NULL AS BIGINT) AS "mrr_cents",
    CAST("q1"."cash_cents" AS BIGINT) AS "cash_cents"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("raw_payments"."payment_date" AS DATE)) AS DATE) AS "period_start",
      CAST(COALESCE(ROUND(SUM("raw_payments"."amount") * 100, 0), 0) AS BIGINT) AS "cash_cents"
    FROM "public"."raw_payments" AS "raw_payments"
    WHERE
      "raw_payments"."refunded" = FALSE
      AND "raw_payments"."payment_date" >= CAST('2026-09-28' AS DATE)
      AND "raw_payments"."payment_date" < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1
  ) AS "q1"
) AS "u"
GROUP BY
  1
ORDER BY
  1;

-- dialect: spark
SELECT
  `u`.`period_start` AS `period_start`,
  MAX(`u`.`mrr_cents`) AS `mrr_cents`,
  MAX(`u`.`cash_cents`) AS `cash_cents`
FROM (
  SELECT
    `q0`.`period_start` AS `period_start`,
    CAST(`q0`.`mrr_cents` AS BIGINT) AS `mrr_cents`,
    CAST(NULL AS BIGINT) AS `cash_cents`
  FROM (
    SELECT
      CAST(TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), 'WEEK') AS DATE) AS `period_start`,
      CAST(COALESCE(ROUND(SUM(`raw_invoices`.`amount`) * 100, 0), 0) AS BIGINT) AS `mrr_cents`
    FROM `raw_invoices` AS `raw_invoices`
    INNER JOIN `raw_contracts` AS `raw_contracts`
      ON `raw_invoices`.`contract_id` = `raw_contracts`.`contract_id`
    WHERE
      `raw_contracts`.`status` = 'active'
      AND `raw_contracts`.`type` = 'recurring'
      AND `raw_invoices`.`status` = 'paid'
      AND `raw_invoices`.`type` = 'subscription'
      AND `raw_invoices`.`invoice_date` >= CAST('2026-09-28' AS DATE)
      AND `raw_invoices`.`invoice_date` < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1 NULLS LAST
  ) AS `q0`
  UNION ALL
  SELECT
    `q1`.`period_start` AS `period_start`,
    CAST(NULL AS BIGINT) AS `mrr_cents`,
    CAST(`q1`.`cash_cents` AS BIGINT) AS `cash_cents`
  FROM (
    SELECT
      CAST(TRUNC(CAST(`raw_payments`.`payment_date` AS DATE), 'WEEK') AS DATE) AS `period_start`,
      CAST(COALESCE(ROUND(SUM(`raw_payments`.`amount`) * 100, 0), 0) AS BIGINT) AS `cash_cents`
    FROM `raw_payments` AS `raw_payments`
    WHERE
      `raw_payments`.`refunded` = FALSE
      AND `raw_payments`.`payment_date` >= CAST('2026-09-28' AS DATE)
      AND `raw_payments`.`payment_date` < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1 NULLS LAST
  ) AS `q1`
) AS `u`
GROUP BY
  1
ORDER BY
  1 NULLS LAST;

-- dialect: snowflake
SELECT
  "u"."period_start" AS "period_start",
  MAX("u"."mrr_cents") AS "mrr_cents",
  MAX("u"."cash_cents") AS "cash_cents"
FROM (
  SELECT
    "q0"."period_start" AS "period_start",
    CAST("q0"."mrr_cents" AS BIGINT) AS "mrr_cents",
    CAST(NULL AS BIGINT) AS "cash_cents"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
      CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
    FROM "main"."raw_invoices" AS "raw_invoices"
    INNER JOIN "main"."raw_contracts" AS "raw_contracts"
      ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
    WHERE
      "raw_contracts"."status" = 'active'
      AND "raw_contracts"."type" = 'recurring'
      AND "raw_invoices"."status" = 'paid'
      AND "raw_invoices"."type" = 'subscription'
      AND "raw_invoices"."invoice_date" >= CAST('2026-09-28' AS DATE)
      AND "raw_invoices"."invoice_date" < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1
  ) AS "q0"
  UNION ALL
  SELECT
    "q1"."period_start" AS "period_start",
    CAST(NULL AS BIGINT) AS "mrr_cents",
    CAST("q1"."cash_cents" AS BIGINT) AS "cash_cents"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("raw_payments"."payment_date" AS DATE)) AS DATE) AS "period_start",
      CAST(COALESCE(ROUND(SUM("raw_payments"."amount") * 100, 0), 0) AS BIGINT) AS "cash_cents"
    FROM "main"."raw_payments" AS "raw_payments"
    WHERE
      "raw_payments"."refunded" = FALSE
      AND "raw_payments"."payment_date" >= CAST('2026-09-28' AS DATE)
      AND "raw_payments"."payment_date" < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1
  ) AS "q1"
) AS "u"
GROUP BY
  1
ORDER BY
  1;

-- dialect: bigquery
SELECT
  `u`.`period_start` AS `period_start`,
  MAX(`u`.`mrr_cents`) AS `mrr_cents`,
  MAX(`u`.`cash_cents`) AS `cash_cents`
FROM (
  SELECT
    `q0`.`period_start` AS `period_start`,
    CAST(`q0`.`mrr_cents` AS INT64) AS `mrr_cents`,
    CAST(NULL AS INT64) AS `cash_cents`
  FROM (
    SELECT
      CAST(DATE_TRUNC(CAST(`raw_invoices`.`invoice_date` AS DATE), WEEK) AS DATE) AS `period_start`,
      CAST(COALESCE(ROUND(SUM(`raw_invoices`.`amount`) * 100, 0), 0) AS INT64) AS `mrr_cents`
    FROM `main`.`raw_invoices` AS `raw_invoices`
    INNER JOIN `main`.`raw_contracts` AS `raw_contracts`
      ON `raw_invoices`.`contract_id` = `raw_contracts`.`contract_id`
    WHERE
      `raw_contracts`.`status` = 'active'
      AND `raw_contracts`.`type` = 'recurring'
      AND `raw_invoices`.`status` = 'paid'
      AND `raw_invoices`.`type` = 'subscription'
      AND `raw_invoices`.`invoice_date` >= CAST('2026-09-28' AS DATE)
      AND `raw_invoices`.`invoice_date` < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1 NULLS LAST
  ) AS `q0`
  UNION ALL
  SELECT
    `q1`.`period_start` AS `period_start`,
    CAST(NULL AS INT64) AS `mrr_cents`,
    CAST(`q1`.`cash_cents` AS INT64) AS `cash_cents`
  FROM (
    SELECT
      CAST(DATE_TRUNC(CAST(`raw_payments`.`payment_date` AS DATE), WEEK) AS DATE) AS `period_start`,
      CAST(COALESCE(ROUND(SUM(`raw_payments`.`amount`) * 100, 0), 0) AS INT64) AS `cash_cents`
    FROM `main`.`raw_payments` AS `raw_payments`
    WHERE
      `raw_payments`.`refunded` = FALSE
      AND `raw_payments`.`payment_date` >= CAST('2026-09-28' AS DATE)
      AND `raw_payments`.`payment_date` < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1 NULLS LAST
  ) AS `q1`
) AS `u`
GROUP BY
  1
ORDER BY
  1 NULLS LAST;

-- dialect: trino
SELECT
  "u"."period_start" AS "period_start",
  MAX("u"."mrr_cents") AS "mrr_cents",
  MAX("u"."cash_cents") AS "cash_cents"
FROM (
  SELECT
    "q0"."period_start" AS "period_start",
    CAST("q0"."mrr_cents" AS BIGINT) AS "mrr_cents",
    CAST(NULL AS BIGINT) AS "cash_cents"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("raw_invoices"."invoice_date" AS DATE)) AS DATE) AS "period_start",
      CAST(COALESCE(ROUND(SUM("raw_invoices"."amount") * 100, 0), 0) AS BIGINT) AS "mrr_cents"
    FROM "main"."raw_invoices" AS "raw_invoices"
    INNER JOIN "main"."raw_contracts" AS "raw_contracts"
      ON "raw_invoices"."contract_id" = "raw_contracts"."contract_id"
    WHERE
      "raw_contracts"."status" = 'active'
      AND "raw_contracts"."type" = 'recurring'
      AND "raw_invoices"."status" = 'paid'
      AND "raw_invoices"."type" = 'subscription'
      AND "raw_invoices"."invoice_date" >= CAST('2026-09-28' AS DATE)
      AND "raw_invoices"."invoice_date" < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1
  ) AS "q0"
  UNION ALL
  SELECT
    "q1"."period_start" AS "period_start",
    CAST(NULL AS BIGINT) AS "mrr_cents",
    CAST("q1"."cash_cents" AS BIGINT) AS "cash_cents"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', CAST("raw_payments"."payment_date" AS DATE)) AS DATE) AS "period_start",
      CAST(COALESCE(ROUND(SUM("raw_payments"."amount") * 100, 0), 0) AS BIGINT) AS "cash_cents"
    FROM "main"."raw_payments" AS "raw_payments"
    WHERE
      "raw_payments"."refunded" = FALSE
      AND "raw_payments"."payment_date" >= CAST('2026-09-28' AS DATE)
      AND "raw_payments"."payment_date" < CAST('2026-11-02' AS DATE)
    GROUP BY
      1
    ORDER BY
      1
  ) AS "q1"
) AS "u"
GROUP BY
  1
ORDER BY
  1;
