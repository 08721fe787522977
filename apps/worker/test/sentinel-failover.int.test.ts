/**
 * A Sentinel failover during a run loses nothing: a real master, replica and three sentinels, an
 * API, two workers and two gpu-sims; jobs are submitted before and during (a) a planned
 * SENTINEL FAILOVER and (b) a SIGKILL of the master. Every job the API accepted ends succeeded
 * and ran exactly once on the backends (the sims count executions per marker), and the API
 * answers again afterwards (no lasting 503 "Connection is closed").
 */
import { apiClient, startRedisSentinel, startStack, waitForTerminalJobs, waitUntil, type RedisSentinelSet, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/** The default workflow with `marker` as its SaveImage prefix (what the sims record per execution). */
function markedWorkflow(marker: string, seed: number) {
  const wf = defaultWorkflow({ steps: 6, seed, width: 64, height: 64 });
  for (const node of Object.values(wf)) if (node.class_type === 'SaveImage') node.inputs.filename_prefix = marker;
  return wf;
}

describe('a Sentinel failover during a run', () => {
  let set: RedisSentinelSet;
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    set = await startRedisSentinel({ sentinels: 3 });
    // Passes every second, so a lost entry is queued again soon after the failover.
    const workerEnv = { GANTRY_RECONCILE_INTERVAL_MS: '1000', GANTRY_RECONCILE_GRACE_MS: '1000' };
    stack = await startStack({ redisUrl: set.url, gpus: 2, stepMs: 30, workerEnv });
    await stack.startWorker();
    admin = apiClient(stack.url, stack.adminKey);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await set?.close();
  }, 120_000);

  /** Submits one job with an Idempotency-Key; 503s while Redis is switching are retried (bounded). */
  async function submit(marker: string, seed: number): Promise<string> {
    return waitUntil(async () => {
      const res = await admin('POST', '/api/v1/jobs', { workflow: markedWorkflow(marker, seed) }, { 'idempotency-key': marker }).catch((err: Error) => {
        // The client's 20 s timeout: resent under the same Idempotency-Key, so at most one job.
        if (err.name === 'TimeoutError') return undefined;
        throw err;
      });
      if (!res) return undefined;
      if (res.status === 202) return res.body.id as string;
      if (res.status !== 503) throw new Error(`submit ${marker}: ${res.status} ${JSON.stringify(res.body)}`);
      return undefined;
    }, 60_000, 100);
  }

  async function runThrough(label: string, fault: () => Promise<unknown>): Promise<void> {
    const markers = Array.from({ length: 16 }, (_, i) => `${label}-${i}`);
    const before = await Promise.all(markers.slice(0, 10).map((m, i) => submit(m, i)));
    // Mid-run: some jobs done, others queued or running when the master goes.
    await waitForTerminalJobs(stack.databaseUrl, before.slice(0, 2), 60_000);
    const during = Promise.all(markers.slice(10).map((m, i) => submit(m, 10 + i)));
    await fault();
    const ids = [...before, ...(await during)];

    const ledger = await waitForTerminalJobs(stack.databaseUrl, ids, 120_000);
    expect(ids.map((id) => ledger.get(id)?.status)).toEqual(ids.map(() => 'succeeded'));
    const runs = markers.map((m) => stack.sims.reduce((n, sim) => n + sim.executions(m).length, 0));
    expect(runs).toEqual(markers.map(() => 1));

    // The API is back for good: a new job is accepted and runs.
    const after = await submit(`${label}-after`, 99);
    expect((await waitForTerminalJobs(stack.databaseUrl, [after], 60_000)).get(after)?.status).toBe('succeeded');
  }

  it('planned (SENTINEL FAILOVER): every accepted job succeeds exactly once', async () => {
    await runThrough('planned', async () => {
      const { from, to } = await set.failover();
      expect(to).not.toBe(from);
    });
  }, 300_000);

  it('the master SIGKILLed: every accepted job succeeds exactly once', async () => {
    // The first failover's old master must be a replica in sync, known to the sentinels, first.
    await set.waitForReplica();
    await runThrough('killed', async () => {
      const old = await set.master();
      await old.kill();
      await set.waitForNewMaster(old, 60_000);
    });
  }, 300_000);
});
