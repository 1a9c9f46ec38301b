-- 充值成功率 / Top-up success rate (SQLite, development).
-- Top-up orders paid in the last 24 hours (money received: paid, refunding, refunded,
-- refund_failed), by recharge status, with each status's share of them.
-- Expected: `success` above 95 %. `unknown` and `failed` need a person (docs/runbook.md);
-- `pending`, `submitting`, `confirming` are still in flight (see pending_backlog).
SELECT
  recharge_status,
  COUNT(*) AS orders,
  ROUND(COUNT(*) * 100.0 / (
    SELECT COUNT(*) FROM orders
    WHERE payment_status IN ('paid', 'refunding', 'refunded', 'refund_failed')
      AND julianday(paid_at) >= julianday('now', '-24 hours')
  ), 2) AS percentage
FROM orders
WHERE payment_status IN ('paid', 'refunding', 'refunded', 'refund_failed')
  AND julianday(paid_at) >= julianday('now', '-24 hours')
GROUP BY recharge_status
ORDER BY orders DESC, recharge_status;
