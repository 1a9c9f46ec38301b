-- 定时任务租约 / Who runs the scheduled jobs (every database).
-- Each run of a job takes or renews its lease; `expires_at` (UTC) is the end of the run's
-- lease: RECHARGE_INTERVAL_SECONDS (10 s) after the last start for `recharge`, 60 s for
-- `expire_unpaid` and `refunds`, 5 min for `alerts`, a day for `daily_report` and
-- `reconcile`. A `recharge` lease minutes in the past means no instance runs the jobs
-- (JOBS_ENABLED=false everywhere, or every instance down). A run that fails still takes
-- its lease: failures are in the logs ("job failed").
-- `holder` is <hostname>-<pid>-<start time> of the instance. No row: the job has not run
-- since its last holder stopped cleanly (a stop gives the lease back).
SELECT
  job_name,
  holder,
  expires_at
FROM job_leases
ORDER BY job_name;
