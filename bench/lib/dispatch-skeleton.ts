// The dispatch benchmark's baseline, its own process: a bare BullMQ Queue.add + Worker doing the
// durable steps of a dispatch by hand, and nothing else. Submit (on an IPC message
// `{submit: {marker, workflow}}`): INSERT the row, Queue.add its id. Worker: SELECT the row,
// UPDATE its status, POST /prompt to a backend (round robin). No auth, validation, leases, events
// or following the prompt: the floor Gantry's dispatch is compared with.
// Env: DATABASE_URL, REDIS_URL, SKELETON_PREFIX, SKELETON_BACKENDS (comma-separated URLs),
// SKELETON_CONCURRENCY.
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';

const QUEUE = 'skeleton-render';

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, application_name: 'bench-skeleton' });
  await pool.query(`CREATE TABLE IF NOT EXISTS skeleton_jobs (
    id uuid PRIMARY KEY, body jsonb NOT NULL, status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const prefix = process.env.SKELETON_PREFIX ?? 'bench-skeleton';
  const backends = (process.env.SKELETON_BACKENDS ?? '').split(',').filter(Boolean);
  let next = 0;
  const queue = new Queue<{ id: string }>(QUEUE, { connection, prefix });
  const worker = new Worker<{ id: string }>(
    QUEUE,
    async (job) => {
      const { rows } = await pool.query<{ body: { workflow: unknown } }>('SELECT body FROM skeleton_jobs WHERE id = $1', [job.data.id]);
      const row = rows[0];
      if (!row) return;
      await pool.query("UPDATE skeleton_jobs SET status = 'dispatched', updated_at = now() WHERE id = $1", [job.data.id]);
      const backend = backends[next++ % backends.length];
      const res = await fetch(`${backend}/prompt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: row.body.workflow, client_id: 'skeleton', prompt_id: randomUUID() }),
      });
      await res.arrayBuffer();
    },
    { connection: connection.duplicate(), prefix, concurrency: Number(process.env.SKELETON_CONCURRENCY ?? 16), removeOnComplete: { count: 100 } },
  );
  await worker.waitUntilReady();
  process.on('message', (msg: { submit?: { marker: string; workflow: unknown } }) => {
    if (!msg.submit) return;
    const id = randomUUID();
    void pool
      .query("INSERT INTO skeleton_jobs (id, body, status) VALUES ($1, $2, 'queued')", [id, JSON.stringify({ workflow: msg.submit.workflow })])
      .then(() => queue.add('render', { id }, { jobId: id, removeOnComplete: { count: 100 } }))
      .catch((err: unknown) => console.error(`skeleton submit failed: ${String(err)}`));
  });
  const stop = () => {
    void Promise.allSettled([worker.close(), queue.close()]).then(async () => {
      await pool.end();
      connection.disconnect();
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  console.log('skeleton ready');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
