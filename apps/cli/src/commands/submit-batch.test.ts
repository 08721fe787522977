import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GantryError, type GantryClient, type SubmitJobInput } from '@gantry/sdk';
import { parseCommandLine, type ParsedCommand } from '../args';
import { commandContext } from '../context';
import { EXIT } from '../exit-codes';
import { submitBatchFile } from './submit-batch';

/**
 * How `submit --batch` splits a file into requests and maps answers back to lines, against a
 * stand-in for the SDK client (the API itself is covered by apps/cli/test/cli.int.test.ts).
 */
describe('submit --batch', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gantry-submit-batch-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  function run(client: Partial<GantryClient>, args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (t: string) => void out.push(t), isTTY: false }, stderr: { write: (t: string) => void err.push(t), isTTY: false }, env: {}, cwd: dir, signal: new AbortController().signal };
    const ctx = commandContext(io, client as GantryClient, false);
    const parsed = parseCommandLine(args) as ParsedCommand;
    return { done: submitBatchFile(ctx, parsed, parsed.options.batch as string), out: () => out.join(''), err: () => err.join('') };
  }

  const line = (seed: number) => JSON.stringify({ '3': { class_type: 'KSampler', inputs: { seed } } });

  it('sends 1000 jobs per request, each request with its own key, and names every job by its line', async () => {
    await writeFile(path.join(dir, 'big.jsonl'), Array.from({ length: 2500 }, (_, i) => line(i)).join('\n'));
    const calls: { jobs: SubmitJobInput[]; key: string | undefined }[] = [];
    let next = 0;
    const client = {
      submitBatch: async (jobs: SubmitJobInput[] | { jobs: SubmitJobInput[] }, options: { idempotencyKey?: string } = {}) => {
        const list = Array.isArray(jobs) ? jobs : jobs.jobs;
        calls.push({ jobs: list, key: options.idempotencyKey });
        return { replayed: false, jobs: list.map(() => ({ id: `job-${next++}`, status: 'queued' as const, reusedFrom: null })) };
      },
    };
    const r = run(client, ['submit', '--batch', 'big.jsonl', '--idempotency-key', 'sweep', '--priority', '7']);
    expect(await r.done).toBe(EXIT.OK);
    expect(calls.map((c) => [c.jobs.length, c.key])).toEqual([[1000, 'sweep-b1'], [1000, 'sweep-b2'], [500, 'sweep-b3']]);
    expect(calls[2]!.jobs[499]).toEqual({ workflow: { '3': { class_type: 'KSampler', inputs: { seed: 2499 } } }, priority: 7 });
    expect(r.out()).toContain('submitted job-1000  big.jsonl:1001\n');
    expect(r.out()).toContain('request 3/3: 500 jobs accepted (2500/2500)\n');
  });

  it('maps refused items of a later request back to their lines and says what was accepted before', async () => {
    await writeFile(path.join(dir, 'mixed.jsonl'), Array.from({ length: 1003 }, (_, i) => line(i)).join('\n'));
    let call = 0;
    const client = {
      submitBatch: async (jobs: SubmitJobInput[] | { jobs: SubmitJobInput[] }) => {
        const list = Array.isArray(jobs) ? jobs : jobs.jobs;
        if (call++ === 0) return { replayed: false, jobs: list.map((_, i) => ({ id: `a-${i}`, status: 'queued' as const, reusedFrom: null })) };
        throw new GantryError({
          status: 422,
          code: 'BATCH_INVALID',
          title: 'invalid',
          detail: '1 of the 3 jobs is invalid',
          errors: [{ index: 2, code: 'VALIDATION_FAILED', detail: 'The job is invalid', errors: [{ path: 'priority', message: 'too big', code: 'too_big' }] }],
        });
      },
    };
    const r = run(client, ['submit', '--batch', 'mixed.jsonl', '--idempotency-key', 'k']);
    expect(await r.done).toBe(EXIT.API);
    expect(r.err()).toContain('mixed.jsonl:1003: VALIDATION_FAILED: The job is invalid\n  priority: too big\n');
    expect(r.err()).toContain('none of its 3 jobs was submitted');
    expect(r.err()).toContain('1000 jobs of the requests before it were accepted. Fix the lines and run again with --idempotency-key k');
  });
});
