-- Ownership of a dispatched/running job (worker recovery decides on the PostgreSQL heartbeat, not on
-- Redis), the generation of the job's BullMQ entry (the reconciler re-enqueues under a new one), and
-- the reason a failed attempt sent the job back to the queue.
ALTER TABLE "jobs" ADD COLUMN     "worker_id" TEXT,
ADD COLUMN     "heartbeat_at" TIMESTAMPTZ(3),
ADD COLUMN     "queue_seq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "last_error" JSONB;
