-- 充值成功率 / Top-up success rate (PostgreSQL).
-- Top-up orders paid in the last 24 hours (money received: paid, refunding, refunded,
-- refund_failed), by recharge status, with each status's share of them.
-- Expected: `success` above 95 %. `unknown` and `failed` need a person (docs/runbook.md);
-- `pending`, `submitting`, `confirming` are still in flight (see pending_backlog).
-- Timestamps are stored as UTC without zone: "now" is taken in UTC too.
SELECT
  recharge_status,
  COUNT(*) AS orders,
  ROUND(COUNT(*) * 100.0 / (
    SELECT COUNT(*) FROM orders
    WHERE payment_status IN ('paid', 'refunding', 'refunded', 'refund_failed')
      AND paid_at >= (now() AT TIME ZONE 'UTC') - INTERVAL '24 hours'
  ), 2) AS percentage
FROM orders
WHERE payment_status IN ('paid', 'refunding', 'refunded', 'refund_failed')
  AND paid_at >= (now() AT TIME ZONE 'UTC') - INTERVAL '24 hours'
GROUP BY recharge_status
ORDER BY orders DESC, recharge_status;
