-- 未送达的支付消息 / Payment news not yet delivered to the goods (every database).
-- The payments core writes a message (paid, closed, refunding, refunded, refund_failed,
-- flagged) with every change of a pay order and delivers it at once; what failed is
-- retried by the relay with the recharge job (every 10 s) for messages older than 10 s.
-- A row older than a minute, or with many attempts, means the goods cannot take it:
-- last_error says why. The oldest first, at most 100.
SELECT
  id,
  out_trade_no,
  kind,
  merchant_order_no,
  event,
  created_at,
  attempts,
  last_error
FROM pay_outbox
WHERE delivered_at IS NULL
ORDER BY id
LIMIT 100;
