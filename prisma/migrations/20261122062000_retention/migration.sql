-- AlterTable
ALTER TABLE "tenants" ADD COLUMN     "retention_days" INTEGER;

-- CreateIndex
CREATE INDEX "jobs_tenant_id_finished_at_idx" ON "jobs"("tenant_id", "finished_at");

-- CreateIndex
CREATE INDEX "artifacts_storage_key_idx" ON "artifacts"("storage_key");
