-- 待人工处理的充值 / Top-ups waiting for a person (every database).
-- `unknown`: nobody knows whether Unitel topped the number up; never re-sent. Ask Unitel,
--   then settle it succeeded or failed (docs/runbook.md, "Settle an unknown top-up").
-- `failed` and still paid: Unitel said no; refund it (automatic with AUTO_REFUND=true).
-- `failed` and refund_failed: WeChat refused the refund; look at why, refund again.
-- phone_number holds only the masked number; the full one is on the console's order page.
SELECT
  order_number,
  payment_status,
  recharge_status,
  CASE
    WHEN recharge_status = 'unknown' THEN 'ask Unitel, then settle'
    WHEN payment_status = 'refund_failed' THEN 'refund again'
    ELSE 'refund'
  END AS next_step,
  phone_number AS phone_masked,
  product_operator,
  product_recharge_type,
  product_code,
  product_price_tg,
  product_price_fen,
  seq_id,
  paid_at,
  recharge_at AS claimed_at,
  anomaly_details
FROM orders
WHERE recharge_status = 'unknown'
   OR (recharge_status = 'failed' AND payment_status IN ('paid', 'refund_failed'))
ORDER BY paid_at, order_number;
