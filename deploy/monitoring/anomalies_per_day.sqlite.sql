-- 异常订单统计 / Anomalies per day (SQLite, development).
-- Top-up orders flagged with an anomaly, per China day (UTC+8) of their creation and
-- anomaly, over the last 30 days, with that day's number of orders created.
-- Watch: anomalous orders should stay under 1 % of a day's orders. Each anomaly and what
-- to do about it: docs/runbook.md. (Points orders' anomalies: payment_anomalies.sql.)
SELECT
  a.china_day,
  a.anomaly_reason,
  a.anomalous_orders,
  d.orders_created,
  ROUND(a.anomalous_orders * 100.0 / d.orders_created, 2) AS percentage
FROM (
  SELECT date(created_at, '+8 hours') AS china_day, anomaly_reason,
         COUNT(*) AS anomalous_orders
  FROM orders
  WHERE anomaly_reason IS NOT NULL
    AND julianday(created_at) >= julianday('now', '-30 days')
  GROUP BY date(created_at, '+8 hours'), anomaly_reason
) a
JOIN (
  SELECT date(created_at, '+8 hours') AS china_day, COUNT(*) AS orders_created
  FROM orders
  WHERE julianday(created_at) >= julianday('now', '-30 days')
  GROUP BY date(created_at, '+8 hours')
) d ON d.china_day = a.china_day
ORDER BY a.china_day DESC, a.anomalous_orders DESC, a.anomaly_reason;
