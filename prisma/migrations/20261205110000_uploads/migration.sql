-- Input images (issue 10 §1): uploads, content-addressed per tenant, and the inputs each job binds.
CREATE TABLE "uploads" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "sha256" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "storage_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "uploads_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "job_inputs" (
    "job_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "upload_id" UUID,
    "sha256" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "storage_key" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "targets" JSONB NOT NULL,
    "source" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_inputs_pkey" PRIMARY KEY ("job_id","name")
);

CREATE UNIQUE INDEX "uploads_tenant_id_sha256_key" ON "uploads"("tenant_id", "sha256");
CREATE INDEX "uploads_tenant_id_id_idx" ON "uploads"("tenant_id", "id" DESC);
CREATE INDEX "uploads_storage_key_idx" ON "uploads"("storage_key");
CREATE INDEX "job_inputs_upload_id_idx" ON "job_inputs"("upload_id");
CREATE INDEX "job_inputs_storage_key_idx" ON "job_inputs"("storage_key");

ALTER TABLE "uploads" ADD CONSTRAINT "uploads_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "job_inputs" ADD CONSTRAINT "job_inputs_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "job_inputs" ADD CONSTRAINT "job_inputs_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "uploads"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- A1111 image-to-image jobs.
ALTER TYPE "JobKind" ADD VALUE 'img2img';
