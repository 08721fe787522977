// The dispatch benchmark's baselines, each its own process: a bare BullMQ Queue.add + Worker doing
// the durable steps of a job by hand, without the framework. Two modes (SKELETON_MODE):
//
// `prompt` (the original skeleton): the job comes in over IPC (`{submit: {marker, workflow}}`):
//   INSERT the row, Queue.add its id. Worker: SELECT the row, UPDATE its status, POST /prompt to a
//   backend (round robin), and stop there. No HTTP, auth, validation, leases, events, and nothing
//   after POST /prompt: the floor of the dispatch alone.
// `full` (the same real work as Gantry's job, end to end): the job comes in over node:http
//   (`POST /jobs`, JSON body `{workflow}`, parsed; 202 `{id}` once the row is committed and the
//   job queued): INSERT the row, Queue.add its id. Worker: SELECT the row, UPDATE it to
//   `dispatched`, POST /prompt (client_id of the process's one WebSocket per backend), follow the
//   prompt on that WebSocket to its end (`executing {node: null}`, or `execution_error`), GET /view
//   each image its `executed` messages named, store each in a content-addressed local directory
//   like Gantry's local store (hashed, written to a temporary file and renamed into place,
//   `sha256/<first byte>/<hash>`), and record the success and its artifacts in PostgreSQL in one
//   statement. Still no auth, validation, leases, events, retries or timeouts.
// Env: DATABASE_URL, REDIS_URL, SKELETON_PREFIX, SKELETON_BACKENDS (comma-separated URLs),
// SKELETON_CONCURRENCY, SKELETON_MODE (`prompt` | `full`), SKELETON_PORT (full: the HTTP port),
// SKELETON_ARTIFACT_DIR (full).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';

const QUEUE = 'skeleton-render';
const mode = process.env.SKELETON_MODE === 'full' ? 'full' : 'prompt';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request on a kept-alive socket; resolves with the status and the whole body. */
function request(url: string, method: string, body?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Image {
  filename: string;
  subfolder: string;
  type: string;
}
interface Run {
  images: Image[];
  done(err?: Error): void;
}

/** One ComfyUI WebSocket per backend, shared by every prompt posted there with its client id. */
class Follower {
  readonly clientId = randomUUID();
  private readonly runs = new Map<string, Run>();
  private readonly ws: WebSocket;

  constructor(readonly backend: string) {
    this.ws = new WebSocket(`${backend.replace(/^http/, 'ws')}/ws?clientId=${this.clientId}`);
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onMessage(data.toString());
    });
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** Registers the prompt before it is posted, so no message of it can come first. */
  follow(promptId: string): { images: Image[]; ended: Promise<void> } {
    const images: Image[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      this.runs.set(promptId, { images, done: (err) => (err ? reject(err) : resolve()) });
    });
    return { images, ended };
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as { type: string; data?: { prompt_id?: string; node?: string | null; output?: { images?: Image[] }; exception_message?: string } };
    const id = msg.data?.prompt_id;
    const run = id === undefined ? undefined : this.runs.get(id);
    if (!run || id === undefined) return;
    if (msg.type === 'executed') run.images.push(...(msg.data?.output?.images ?? []));
    else if (msg.type === 'executing' && msg.data?.node === null) {
      this.runs.delete(id);
      run.done();
    } else if (msg.type === 'execution_error') {
      this.runs.delete(id);
      run.done(new Error(msg.data?.exception_message ?? 'execution_error'));
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Content-addressed files under `root` (`sha256/<first byte>/<hash>`), written whole and renamed into place. */
async function store(root: string, made: Set<string>, bytes: Buffer): Promise<{ key: string; sha256: string }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = `sha256/${sha256.slice(0, 2)}/${sha256}`;
  const dir = path.join(root, path.dirname(key));
  if (!made.has(dir)) {
    await mkdir(dir, { recursive: true });
    made.add(dir);
  }
  const tmp = path.join(root, 'tmp', `${randomBytes(8).toString('hex')}.tmp`);
  await writeFile(tmp, bytes);
  await rename(tmp, path.join(root, key));
  return { key, sha256 };
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, application_name: 'bench-skeleton' });
  await pool.query(`CREATE TABLE IF NOT EXISTS skeleton_jobs (
    id uuid PRIMARY KEY, body jsonb NOT NULL, status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
  await pool.query(`CREATE TABLE IF NOT EXISTS skeleton_artifacts (
    job_id uuid NOT NULL REFERENCES skeleton_jobs(id), key text NOT NULL, sha256 text NOT NULL,
    bytes integer NOT NULL, filename text NOT NULL, PRIMARY KEY (job_id, filename))`);
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const prefix = process.env.SKELETON_PREFIX ?? 'bench-skeleton';
  const backends = (process.env.SKELETON_BACKENDS ?? '').split(',').filter(Boolean);
  let next = 0;
  const followers = mode === 'full' ? backends.map((b) => new Follower(b)) : [];
  await Promise.all(followers.map((f) => f.ready()));
  const artifactDir = process.env.SKELETON_ARTIFACT_DIR ?? '';
  if (mode === 'full') await mkdir(path.join(artifactDir, 'tmp'), { recursive: true });
  const made = new Set<string>();
  const queue = new Queue<{ id: string }>(QUEUE, { connection, prefix });

  async function dispatchOnly(id: string): Promise<void> {
    const { rows } = await pool.query<{ body: { workflow: unknown } }>('SELECT body FROM skeleton_jobs WHERE id = $1', [id]);
    const row = rows[0];
    if (!row) return;
    await pool.query("UPDATE skeleton_jobs SET status = 'dispatched', updated_at = now() WHERE id = $1", [id]);
    const backend = backends[next++ % backends.length];
    const res = await fetch(`${backend}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: row.body.workflow, client_id: 'skeleton', prompt_id: randomUUID() }),
    });
    await res.arrayBuffer();
  }

  async function fullJob(id: string): Promise<void> {
    const { rows } = await pool.query<{ body: { workflow: unknown } }>('SELECT body FROM skeleton_jobs WHERE id = $1', [id]);
    const row = rows[0];
    if (!row) return;
    await pool.query("UPDATE skeleton_jobs SET status = 'dispatched', updated_at = now() WHERE id = $1", [id]);
    const follower = followers[next++ % followers.length] as Follower;
    const promptId = randomUUID();
    const run = follower.follow(promptId);
    const res = await request(`${follower.backend}/prompt`, 'POST', JSON.stringify({ prompt: row.body.workflow, client_id: follower.clientId, prompt_id: promptId }));
    if (res.status !== 200) throw new Error(`POST /prompt: HTTP ${res.status}`);
    try {
      await run.ended;
    } catch (err) {
      await pool.query("UPDATE skeleton_jobs SET status = 'failed', updated_at = now() WHERE id = $1", [id]);
      throw err;
    }
    const stored: Array<{ key: string; sha256: string; bytes: number; filename: string }> = [];
    for (const img of run.images) {
      const q = new URLSearchParams({ filename: img.filename, subfolder: img.subfolder, type: img.type });
      const view = await request(`${follower.backend}/view?${q.toString()}`, 'GET');
      if (view.status !== 200) throw new Error(`GET /view: HTTP ${view.status}`);
      stored.push({ ...(await store(artifactDir, made, view.body)), bytes: view.body.length, filename: img.filename });
    }
    await pool.query(
      `WITH a AS (INSERT INTO skeleton_artifacts (job_id, key, sha256, bytes, filename)
                  SELECT $1, x.key, x.sha256, x.bytes, x.filename FROM jsonb_to_recordset($2::jsonb) AS x(key text, sha256 text, bytes int, filename text))
       UPDATE skeleton_jobs SET status = 'succeeded', updated_at = now() WHERE id = $1`,
      [id, JSON.stringify(stored)],
    );
  }

  const worker = new Worker<{ id: string }>(QUEUE, async (job) => (mode === 'full' ? fullJob(job.data.id) : dispatchOnly(job.data.id)), {
    connection: connection.duplicate(),
    prefix,
    concurrency: Number(process.env.SKELETON_CONCURRENCY ?? 16),
    removeOnComplete: { count: 100 },
  });
  await worker.waitUntilReady();

  const submit = async (workflow: unknown): Promise<string> => {
    const id = randomUUID();
    await pool.query("INSERT INTO skeleton_jobs (id, body, status) VALUES ($1, $2, 'queued')", [id, JSON.stringify({ workflow })]);
    await queue.add('render', { id }, { jobId: id, removeOnComplete: { count: 100 } });
    return id;
  };
  let server: http.Server | undefined;
  if (mode === 'full') {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let workflow: unknown;
        try {
          workflow = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { workflow?: unknown }).workflow;
        } catch {
          workflow = undefined;
        }
        if (req.method !== 'POST' || req.url !== '/jobs' || typeof workflow !== 'object' || workflow === null) {
          res.writeHead(400).end();
          return;
        }
        submit(workflow).then(
          (id) => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id })),
          (err: unknown) => {
            console.error(`skeleton submit failed: ${String(err)}`);
            res.writeHead(500).end();
          },
        );
      });
    });
    await new Promise<void>((resolve) => server?.listen(Number(process.env.SKELETON_PORT ?? 0), '127.0.0.1', resolve));
  } else {
    process.on('message', (msg: { submit?: { marker: string; workflow: unknown } }) => {
      if (!msg.submit) return;
      void submit(msg.submit.workflow).catch((err: unknown) => console.error(`skeleton submit failed: ${String(err)}`));
    });
  }
  const stop = () => {
    server?.close();
    void Promise.allSettled([worker.close(), queue.close()]).then(async () => {
      for (const f of followers) f.close();
      await pool.end();
      connection.disconnect();
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  console.log(`skeleton ready (${mode})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
