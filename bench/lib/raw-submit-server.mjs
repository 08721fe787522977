// The raw baseline of bench/submit.mjs: node:http doing the durable work of one submit and nothing
// else: one PostgreSQL statement inserting the job and its `queued` event (a CTE), then the BullMQ
// add of its queue entry with the same payload, id and priority as the API's. No validation, no
// auth, no eligibility, caps, reuse key, metrics or event publishing. Runs under tsx (stack.launch).
import { createServer } from 'node:http';
import pg from 'pg';
import { Redis } from 'ioredis';
import gantryDomain from '@gantry/domain'; // TypeScript sources through tsx: CommonJS, so no named imports
import gantryQueue from '@gantry/queue';

const { createRenderQueue, renderEntryId, toBullPriority } = gantryQueue;
const { uuidv7 } = gantryDomain; // the API's own ids (same index order)

const SQL = `WITH j AS (
    INSERT INTO jobs (id, tenant_id, kind, workflow, priority, metadata, webhook_events, last_seq, created_at, updated_at)
    VALUES ($1::uuid, $2::uuid, 'workflow', $3::jsonb, 0, $4::jsonb, '{}', 1, now(), now())
    RETURNING id, created_at
  ), e AS (
    INSERT INTO job_events (job_id, seq, type, payload, created_at)
    SELECT id, 1, 'state', '{"type": "state", "status": "queued", "attempt": 0}'::jsonb, now() FROM j
  )
  SELECT created_at FROM j`;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const queue = createRenderQueue({ connection: redis, prefix: `${process.env.GANTRY_QUEUE_PREFIX}:raw` });
const tenantId = process.env.RAW_TENANT_ID;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const id = uuidv7();
      const { rows } = await pool.query(SQL, [id, tenantId, JSON.stringify(body.workflow), JSON.stringify(body.metadata ?? null)]);
      await queue.add('render', { jobId: id, tenantId }, { jobId: renderEntryId(id), priority: toBullPriority(0) });
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id, status: 'queued', createdAt: rows[0].created_at }));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
});
server.listen(0, '127.0.0.1', () => process.send?.({ benchRawSubmitPort: server.address().port }));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    void Promise.allSettled([queue.close(), pool.end()]).then(() => {
      redis.disconnect();
      process.exit(0);
    });
  });
}
