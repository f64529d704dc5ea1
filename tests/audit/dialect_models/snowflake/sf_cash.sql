-- Snowflake spelling: IFF, TO_CHAR with a format, quoted upper-case aliases
SELECT
    TO_CHAR(P.PAYMENT_DATE, 'YYYY-MM') AS "PAY_MONTH",
    SUM(IFF(P.REFUNDED, 0, P.AMOUNT)) AS "NET_CASH"
FROM RAW_PAYMENTS AS P
GROUP BY 1
