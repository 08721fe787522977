-- The wait estimate of a queued job counts the fleet's jobs that succeeded in the last 10 minutes
-- (apps/api/src/services/explain-wait.ts). Without this index that count walked every tenant's
-- finished jobs through (tenant_id, finished_at): 326 ms at 1M jobs; with it, a range scan over
-- the window's entries (bench/README.md, "Reads").
CREATE INDEX "jobs_status_finished_at_idx" ON "jobs"("status", "finished_at");
