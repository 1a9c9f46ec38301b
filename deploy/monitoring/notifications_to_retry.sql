-- 待重试的支付回调 / Payment notifications not decided (every database).
-- `error`: processing failed and WeChat was told to retry; `received`: a crash left it
-- undecided. WeChat retries for a while by itself; one still here later can be replayed:
-- POST /admin/notifications/{id}/retry (docs/runbook.md, "Replay a notification").
-- `unconfirmed` rows (WeChat's own record does not show the payment) are not listed: they
-- are forgeries or claims about payments that do not stand, and the expiry job asks
-- WeChat about every unpaid order before closing it anyway.
SELECT
  id,
  channel,
  kind,
  order_number,
  transaction_id,
  outcome,
  error_message,
  retry_count,
  created_at,
  updated_at
FROM payment_notifications
WHERE outcome IN ('received', 'error')
ORDER BY created_at, id;
