-- 充值延迟分析 / Paid → recharged delay (MariaDB/MySQL).
-- Top-ups that succeeded, paid in the last 24 hours: how long from WeChat's payment to
-- Unitel's answer, in seconds (rounded). Orders settled by a person after an `unknown`
-- outcome are left out: their time is the person's, not the system's.
-- Expected: avg_delay_sec < 5, max_delay_sec < 60 (over_60_sec = 0).
SELECT
  COUNT(*) AS topups,
  ROUND(AVG(TIMESTAMPDIFF(MICROSECOND, paid_at, recharged_at)) / 1000000) AS avg_delay_sec,
  ROUND(MAX(TIMESTAMPDIFF(MICROSECOND, paid_at, recharged_at)) / 1000000) AS max_delay_sec,
  ROUND(MIN(TIMESTAMPDIFF(MICROSECOND, paid_at, recharged_at)) / 1000000) AS min_delay_sec,
  COALESCE(SUM(CASE WHEN recharged_at > paid_at + INTERVAL 60 SECOND THEN 1 ELSE 0 END), 0)
    AS over_60_sec
FROM orders
WHERE recharge_status = 'success'
  AND paid_at IS NOT NULL
  AND recharged_at IS NOT NULL
  AND paid_at >= UTC_TIMESTAMP(6) - INTERVAL 24 HOUR
  AND (anomaly_reason IS NULL OR anomaly_reason <> 'recharge_outcome_unknown');
