-- 支付异常 / Payment anomalies of every kind of goods (every database).
-- Pay orders the payments core flagged: amount_mismatch, payer_mismatch,
-- duplicate_payment, payment_after_close, ... (top-ups carry the same flag on their
-- order too; points orders only here). Newest first, at most 100. What to do for each:
-- docs/runbook.md, "Alerts".
SELECT
  out_trade_no,
  kind,
  merchant_order_no,
  status,
  anomaly_kind,
  anomaly_details,
  amount_fen,
  transaction_id,
  late_payment,
  updated_at
FROM pay_orders
WHERE anomaly_kind IS NOT NULL
ORDER BY updated_at DESC, out_trade_no
LIMIT 100;
