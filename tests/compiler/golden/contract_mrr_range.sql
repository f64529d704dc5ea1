-- canon golden SQL: contract_mrr {'period_from': '2026-09', 'period_to': '2026-10'}

-- dialect: duckdb
SELECT
  "canon_periods"."period_start" AS "period_start",
  CAST(COALESCE(
    ROUND(
      CAST(CAST(SUM("raw_contracts"."annual_value") AS DECIMAL(38, 6)) * 25 / 3 AS DECIMAL(38, 6)),
      0
    ),
    0
  ) AS BIGINT) AS "contract_mrr_cents"
FROM "main"."raw_contracts" AS "raw_contracts"
INNER JOIN (VALUES
  (CAST('2026-09-01' AS DATE), CAST('2026-10-01' AS DATE)),
  (CAST('2026-10-01' AS DATE), CAST('2026-11-01' AS DATE))) AS "canon_periods"("period_start", "period_end")
  ON "raw_contracts"."start_date" < "canon_periods"."period_end"
  AND (
    "raw_contracts"."end_date" IS NULL
    OR "raw_contracts"."end_date" >= "canon_periods"."period_start"
  )
WHERE
  "raw_contracts"."status" = 'active'
  AND "raw_contracts"."type" IN ('one-time', 'recurring')
GROUP BY
  1
ORDER BY
  1;

-- dialect: postgres
SELECT
  "canon_periods"."period_start" AS "period_start",
  CAST(COALESCE(
    ROUND(
      CAST(CAST(CAST(SUM("raw_contracts"."annual_value") AS DECIMAL(38, 6)) * 25 AS DOUBLE PRECISION) / 3 AS DECIMAL(38, 6)),
      0
    ),
    0
  ) AS BIGINT) AS "contract_mrr_cents"
FROM "public"."raw_contracts" AS "raw_contracts"
INNER JOIN (VALUES
  (CAST('2026-09-01' AS DATE), CAST('2026-10-01' AS DATE)),
  (CAST('2026-10-01' AS DATE), CAST('2026-11-01' AS DATE))) AS "canon_periods"("period_start", "period_end")
  ON "raw_contracts"."start_date" < "canon_periods"."period_end"
  AND (
    "raw_contracts"."end_date" IS NULL
    OR "raw_contracts"."end_date" >= "canon_periods"."period_start"
  )
WHERE
  "raw_contracts"."status" = 'active'
  AND "raw_contracts"."type" IN ('one-time', 'recurring')
GROUP BY
  1
ORDER BY
  1;

-- dialect: spark
SELECT
  `canon_periods`.`period_start` AS `period_start`,
  CAST(COALESCE(
    ROUND(
      CAST(CAST(SUM(`raw_contracts`.`annual_value`) AS DECIMAL(38, 6)) * 25 / 3 AS DECIMAL(38, 6)),
      0
    ),
    0
  ) AS BIGINT) AS `contract_mrr_cents`
FROM `raw_contracts` AS `raw_contracts`
INNER JOIN VALUES
  (CAST('2026-09-01' AS DATE), CAST('2026-10-01' AS DATE)),
  (CAST('2026-10-01' AS DATE), CAST('2026-11-01' AS DATE)) AS `canon_periods`(`period_start`, `period_end`)
  ON `raw_contracts`.`start_date` < `canon_periods`.`period_end`
  AND (
    `raw_contracts`.`end_date` IS NULL
    OR `raw_contracts`.`end_date` >= `canon_periods`.`period_start`
  )
WHERE
  `raw_contracts`.`status` = 'active'
  AND `raw_contracts`.`type` IN ('one-time', 'recurring')
GROUP BY
  1
ORDER BY
  1 NULLS LAST;

-- dialect: snowflake
SELECT
  "canon_periods"."period_start" AS "period_start",
  CAST(COALESCE(
    ROUND(
      CAST(CAST(SUM("raw_contracts"."annual_value") AS DECIMAL(38, 6)) * 25 / 3 AS DECIMAL(38, 6)),
      0
    ),
    0
  ) AS BIGINT) AS "contract_mrr_cents"
FROM "main"."raw_contracts" AS "raw_contracts"
INNER JOIN (VALUES
  (CAST('2026-09-01' AS DATE), CAST('2026-10-01' AS DATE)),
  (CAST('2026-10-01' AS DATE), CAST('2026-11-01' AS DATE))) AS "canon_periods"("period_start", "period_end")
  ON "raw_contracts"."start_date" < "canon_periods"."period_end"
  AND (
    "raw_contracts"."end_date" IS NULL
    OR "raw_contracts"."end_date" >= "canon_periods"."period_start"
  )
WHERE
  "raw_contracts"."status" = 'active'
  AND "raw_contracts"."type" IN ('one-time', 'recurring')
GROUP BY
  1
ORDER BY
  1;

-- dialect: bigquery
SELECT
  `canon_periods`.`period_start` AS `period_start`,
  CAST(COALESCE(
    ROUND(
      CAST(CAST(SUM(`raw_contracts`.`annual_value`) AS BIGNUMERIC) * 25 / 3 AS BIGNUMERIC),
      0
    ),
    0
  ) AS INT64) AS `contract_mrr_cents`
FROM `main`.`raw_contracts` AS `raw_contracts`
INNER JOIN UNNEST([
  STRUCT(
    CAST('2026-09-01' AS DATE) AS `period_start`,
    CAST('2026-10-01' AS DATE) AS `period_end`
  ),
  STRUCT(
    CAST('2026-10-01' AS DATE) AS `period_start`,
    CAST('2026-11-01' AS DATE) AS `period_end`
  )
]) AS `canon_periods`
  ON `raw_contracts`.`start_date` < `canon_periods`.`period_end`
  AND (
    `raw_contracts`.`end_date` IS NULL
    OR `raw_contracts`.`end_date` >= `canon_periods`.`period_start`
  )
WHERE
  `raw_contracts`.`status` = 'active'
  AND `raw_contracts`.`type` IN ('one-time', 'recurring')
GROUP BY
  1
ORDER BY
  1 NULLS LAST;

-- dialect: trino
SELECT
  "canon_periods"."period_start" AS "period_start",
  CAST(COALESCE(
    ROUND(
      CAST(CAST(CAST(SUM("raw_contracts"."annual_value") AS DECIMAL(38, 6)) * 25 AS DOUBLE) / 3 AS DECIMAL(38, 6)),
      0
    ),
    0
  ) AS BIGINT) AS "contract_mrr_cents"
FROM "main"."raw_contracts" AS "raw_contracts"
INNER JOIN (VALUES
  (CAST('2026-09-01' AS DATE), CAST('2026-10-01' AS DATE)),
  (CAST('2026-10-01' AS DATE), CAST('2026-11-01' AS DATE))) AS "canon_periods"("period_start", "period_end")
  ON "raw_contracts"."start_date" < "canon_periods"."period_end"
  AND (
    "raw_contracts"."end_date" IS NULL
    OR "raw_contracts"."end_date" >= "canon_periods"."period_start"
  )
WHERE
  "raw_contracts"."status" = 'active'
  AND "raw_contracts"."type" IN ('one-time', 'recurring')
GROUP BY
  1
ORDER BY
  1;
