import http from 'node:http';
import pg from 'pg';
import { ProcessHarness, stackEnv, startStack, StreamClient, waitUntil, type ApiProcess, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/**
 * SIGTERM to a real API process (what `docker stop` and Kubernetes send): it closes WebSockets
 * with 1001 "going away" (clients reconnect elsewhere), stops accepting connections, lets the
 * request in flight finish (here: a job submission whose body is still arriving), then closes its
 * connections and exits 0.
 */
describe('SIGTERM to the API with a request in flight (real process)', () => {
  let stack: TestStack;
  let procs: ProcessHarness;
  let api: ApiProcess;

  beforeAll(async () => {
    stack = await startStack({ worker: false, gpus: 0 });
    procs = await ProcessHarness.create('sigterm-api');
    api = await procs.startApi({ env: { ...stackEnv(stack), GANTRY_ADMIN_KEY: stack.adminKey } });
  }, 60_000);

  afterAll(async () => {
    await procs?.cleanup();
    await stack?.close();
  });

  /** GET /api/v1/health through `agent`: status and Connection header; rejects when it cannot connect. */
  function healthVia(agent: http.Agent): Promise<{ status: number; connection: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${api.url}/api/v1/health`, { agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });
  }

  /** A POST /api/v1/jobs whose body is sent in two parts; `finish()` sends the rest. */
  function slowSubmit(agent: http.Agent): { sent: Promise<void>; finish(): void; response: Promise<{ status: number; body: any; connection: string | undefined }> } {
    const body = Buffer.from(JSON.stringify({ workflow: defaultWorkflow({ steps: 2, seed: 99 }) }));
    const req = http.request(`${api.url}/api/v1/jobs`, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json', 'content-length': body.length },
    });
    const response = new Promise<{ status: number; body: any; connection: string | undefined }>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()), connection: res.headers.connection }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    // The callback runs once the first part is handed to the connected socket.
    const sent = new Promise<void>((resolve, reject) => req.write(body.subarray(0, 100), (err) => (err ? reject(err) : resolve())));
    return { sent, finish: () => req.end(body.subarray(100)), response };
  }

  it('finishes the request in flight, closes WebSockets with 1001, refuses new connections, exits 0', () =>
    procs.guard(async () => {
      const stream = await StreamClient.connect(api.url, { key: stack.adminKey });
      await stream.next((m) => m.type === 'ready');
      // The request in flight comes from a keep-alive client (one connection, reused).
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const inFlight = slowSubmit(agent);
      await inFlight.sent;
      // The API has the request before the signal: a health request on a connection opened after
      // it (accepted after it) answers, while the submit waits for the rest of its body.
      expect((await healthVia(new http.Agent({ keepAlive: false }))).status).toBe(200);

      api.signal('SIGTERM');
      await api.waitForLog(/"msg":"api shutting down"/, 10_000);
      expect(await stream.closed).toEqual({ code: 1001, reason: expect.stringContaining('shutting down') });
      // No new connection is accepted any more...
      await waitUntil(async () => ((await healthVia(new http.Agent({ keepAlive: false })).then(() => false, () => true)) ? true : undefined), 20_000, 50);
      // ... but the API is still running, waiting for the request in flight.
      expect(api.running).toBe(true);

      inFlight.finish();
      const res = await inFlight.response;
      expect({ status: res.status, state: res.body.status, connection: res.connection }).toEqual({ status: 202, state: 'queued', connection: 'close' });
      // The keep-alive connection is not reused for another request: it was closed after that response.
      expect(await healthVia(agent).catch(() => 'refused')).toBe('refused');
      agent.destroy();
      // It really was accepted: the job is in the database.
      const client = new pg.Client({ connectionString: stack.databaseUrl });
      await client.connect();
      const rows = (await client.query(`SELECT status::text FROM jobs WHERE id = $1`, [res.body.id])).rows;
      await client.end();
      expect(rows).toEqual([{ status: 'queued' }]);

      const exit = await api.waitForExit(15_000);
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      expect(api.logText()).toMatch(/"msg":"api stopped"/);
      expect((await procs.stopAll()).leftovers).toEqual([]);
    }),
  120_000);
});
