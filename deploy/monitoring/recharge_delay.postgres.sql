-- 充值延迟分析 / Paid → recharged delay (PostgreSQL).
-- Top-ups that succeeded, paid in the last 24 hours: how long from WeChat's payment to
-- Unitel's answer, in seconds (rounded). Orders settled by a person after an `unknown`
-- outcome are left out: their time is the person's, not the system's.
-- Expected: avg_delay_sec < 5, max_delay_sec < 60 (over_60_sec = 0).
SELECT
  COUNT(*) AS topups,
  CAST(ROUND(AVG(EXTRACT(EPOCH FROM recharged_at - paid_at))) AS BIGINT) AS avg_delay_sec,
  CAST(ROUND(MAX(EXTRACT(EPOCH FROM recharged_at - paid_at))) AS BIGINT) AS max_delay_sec,
  CAST(ROUND(MIN(EXTRACT(EPOCH FROM recharged_at - paid_at))) AS BIGINT) AS min_delay_sec,
  COUNT(*) FILTER (WHERE recharged_at > paid_at + INTERVAL '60 seconds') AS over_60_sec
FROM orders
WHERE recharge_status = 'success'
  AND paid_at IS NOT NULL
  AND recharged_at IS NOT NULL
  AND paid_at >= (now() AT TIME ZONE 'UTC') - INTERVAL '24 hours'
  AND (anomaly_reason IS NULL OR anomaly_reason <> 'recharge_outcome_unknown');
