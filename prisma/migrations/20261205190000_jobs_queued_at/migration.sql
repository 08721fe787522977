-- When a job last entered the queue. The reconciler's passes between full ones check the queued
-- jobs of a recent window; by `updated_at` that walked every queued job through (status, id) and
-- filtered (~270 ms every 5 s at 100k queued jobs: bench/README.md, "Queue reconciler"). An index
-- on `updated_at` would end the HOT updates of progress events; this column changes only when a
-- job (re-)enters the queue, which changes `status` (an indexed column) anyway. Rows already
-- there take the time of this migration (they count as recent for one window).
ALTER TABLE "jobs" ADD COLUMN "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

CREATE INDEX "jobs_status_queued_at_idx" ON "jobs"("status", "queued_at");
