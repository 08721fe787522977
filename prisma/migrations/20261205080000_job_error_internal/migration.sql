-- Backend detail that only operators see (a ComfyUI traceback with the GPU host's file paths);
-- `error_details` keeps what tenants, events and webhooks may see.
ALTER TABLE "jobs" ADD COLUMN     "error_internal" JSONB;
