-- Backend detail that only operators see (a ComfyUI traceback with the GPU host's file paths);
-- `error_details` keeps what tenants, events and webhooks may see.
ALTER TABLE "jobs" ADD COLUMN     "error_internal" JSONB;

-- The reconciler pages through the jobs of one status in id order (queued ones may number 100k+):
-- (status, id) serves that, and everything the (status) index served.
DROP INDEX "jobs_status_idx";
CREATE INDEX "jobs_status_id_idx" ON "jobs"("status", "id");
