-- 待补偿订单监控 / Paid top-ups still in flight (SQLite, development).
-- Paid orders whose top-up has not finished, per recharge status: how many, how many were
-- paid over 5 minutes ago, the oldest payment and how long it has waited, in minutes.
-- No row: nothing is waiting. The recharge job runs every RECHARGE_INTERVAL_SECONDS (10 s):
-- `pending` paid over 5 minutes ago means the job is not running or Unitel is unreachable;
-- `submitting` older than STALE_SUBMISSION_MINUTES (10) becomes `unknown` on the next run;
-- `confirming` is asked about at Unitel every run. Alerted past STUCK_ALERT_MINUTES (30).
SELECT
  recharge_status,
  COUNT(*) AS orders,
  SUM(CASE WHEN julianday(paid_at) < julianday('now', '-5 minutes') THEN 1 ELSE 0 END)
    AS paid_over_5_min_ago,
  MIN(paid_at) AS oldest_paid_at,
  CAST((julianday('now') - julianday(MIN(paid_at))) * 1440 AS INTEGER)
    AS oldest_waiting_minutes
FROM orders
WHERE payment_status = 'paid'
  AND recharge_status IN ('pending', 'submitting', 'confirming')
GROUP BY recharge_status
ORDER BY oldest_paid_at;
