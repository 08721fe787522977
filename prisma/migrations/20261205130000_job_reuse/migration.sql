-- Result reuse (docs/api.md "Result reuse"): the hash of a job's canonical request, and the job whose
-- result a reused job answers with.
ALTER TABLE "jobs" ADD COLUMN     "reuse_key" TEXT,
ADD COLUMN     "reused_from" UUID;

-- A submit with `reuse: true` looks for a succeeded job of its tenant with the same key.
CREATE INDEX "jobs_tenant_id_reuse_key_status_idx" ON "jobs"("tenant_id", "reuse_key", "status");
