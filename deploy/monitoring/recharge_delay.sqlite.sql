-- 充值延迟分析 / Paid → recharged delay (SQLite, development).
-- Top-ups that succeeded, paid in the last 24 hours: how long from WeChat's payment to
-- Unitel's answer, in seconds (rounded). Orders settled by a person after an `unknown`
-- outcome are left out: their time is the person's, not the system's.
-- Expected: avg_delay_sec < 5, max_delay_sec < 60 (over_60_sec = 0).
SELECT
  COUNT(*) AS topups,
  CAST(ROUND(AVG((julianday(recharged_at) - julianday(paid_at)) * 86400)) AS INTEGER)
    AS avg_delay_sec,
  CAST(ROUND(MAX((julianday(recharged_at) - julianday(paid_at)) * 86400)) AS INTEGER)
    AS max_delay_sec,
  CAST(ROUND(MIN((julianday(recharged_at) - julianday(paid_at)) * 86400)) AS INTEGER)
    AS min_delay_sec,
  COALESCE(SUM(CASE WHEN (julianday(recharged_at) - julianday(paid_at)) * 86400 > 60
    THEN 1 ELSE 0 END), 0) AS over_60_sec
FROM orders
WHERE recharge_status = 'success'
  AND paid_at IS NOT NULL
  AND recharged_at IS NOT NULL
  AND julianday(paid_at) >= julianday('now', '-24 hours')
  AND (anomaly_reason IS NULL OR anomaly_reason <> 'recharge_outcome_unknown');
