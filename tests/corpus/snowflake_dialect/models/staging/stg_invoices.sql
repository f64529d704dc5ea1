SELECT
    invoice_id,
    account_id,
    contract_id,
    invoice_ts,
    CONVERT_TIMEZONE('UTC', 'America/Los_Angeles', invoice_ts) AS invoice_ts_pt,
    DATE_TRUNC('month', invoice_ts_pt)::DATE AS invoice_month,
    amount::NUMBER(12, 2) AS amount,
    invoice_type,
    status
FROM {{ ref('raw_invoices') }}
