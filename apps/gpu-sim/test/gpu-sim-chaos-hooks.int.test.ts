import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGpuSim } from '../src/index.js';
import { call, waitForHistory } from './sim-client.js';
import { base, useGpuSim } from './sim-fixture.js';
import { smallWorkflow } from './ws-recorder.js';

/** What the chaos suite relies on: executions counted per marker, and injected 5xx answers. */
const ctx = useGpuSim();

const marked = (marker: string, seed: number) => {
  const wf = smallWorkflow(base, { steps: 2, seed });
  wf['9']!.inputs.filename_prefix = marker;
  return wf;
};

async function run(promptId: string, prompt: unknown, target = ctx.sim): Promise<any> {
  expect((await call(target, 'POST', '/prompt', { prompt, prompt_id: promptId })).status).toBe(200);
  return waitForHistory(target, promptId);
}

describe('gpu-sim chaos hooks', () => {
  it('counts each successful execution with its SaveImage prefix and outputs; failed ones are not counted', async () => {
    await run('a1', marked('job-a', 1));
    await run('b1', marked('job-b', 2));
    await run('a2', marked('job-a', 3)); // the same job run again: counted twice
    ctx.sim.setFaults({ crashAfterSteps: 1 });
    expect((await run('b2', marked('job-b', 4))).status.status_str).toBe('error');

    const all = (await call(ctx.sim, 'GET', '/gpu-sim/executions')).json.executions;
    expect(all.map((e: { prompt_id: string }) => e.prompt_id)).toEqual(['a1', 'b1', 'a2']);
    expect(all[0]).toEqual({ sim: expect.any(String), prompt_id: 'a1', markers: ['job-a'], outputs: ['job-a_00001_.png'], started_at: expect.any(Number), finished_at: expect.any(Number) });
    expect(all[0]!.finished_at).toBeGreaterThanOrEqual(all[0]!.started_at);
    const onlyA = (await call(ctx.sim, 'GET', '/gpu-sim/executions?marker=job-a')).json.executions;
    expect(onlyA.map((e: { outputs: string[] }) => e.outputs)).toEqual([['job-a_00001_.png'], ['job-a_00002_.png']]);
    expect(ctx.sim.executions('job-b').map((e) => e.prompt_id)).toEqual(['b1']);
  });

  it('appends every execution to its journal file, which a restarted sim keeps appending to', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gpu-sim-journal-'));
    const journal = path.join(dir, 'executions.jsonl');
    try {
      for (const [i, promptId] of ['first', 'second'].entries()) {
        const sim = await startGpuSim({ stepMs: 1, name: 'journaled', executionsFile: journal });
        await run(promptId, marked('job-j', i), sim);
        await sim.close();
      }
      const lines = (await readFile(journal, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.sim, l.prompt_id, l.markers])).toEqual([
        ['journaled', 'first', ['job-j']],
        ['journaled', 'second', ['job-j']],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers ComfyUI routes with the injected 5xx status, never its own controls, and stops when cleared', async () => {
    expect((await call(ctx.sim, 'POST', '/gpu-sim/faults', { httpErrorStatus: 503 })).json).toEqual({ httpErrorStatus: 503 });
    for (const [method, route] of [['GET', '/system_stats'], ['GET', '/api/history'], ['POST', '/prompt']] as const) {
      const reply = await call(ctx.sim, method, route, method === 'POST' ? { prompt: marked('x', 1) } : undefined);
      expect({ route, status: reply.status }).toEqual({ route, status: 503 });
    }
    expect((await call(ctx.sim, 'GET', '/gpu-sim/executions')).status).toBe(200);
    expect(ctx.sim.executions()).toEqual([]); // the refused prompt never ran
    expect((await call(ctx.sim, 'POST', '/gpu-sim/faults', { httpErrorStatus: 500, httpErrorRate: 0 })).status).toBe(200);
    expect((await call(ctx.sim, 'GET', '/system_stats')).status).toBe(200);
    expect((await call(ctx.sim, 'POST', '/gpu-sim/faults', { httpErrorStatus: 499 })).status).toBe(400);
    ctx.sim.setFaults({ httpErrorStatus: 500, httpErrorRate: 1 });
    expect((await call(ctx.sim, 'GET', '/queue')).body.toString()).toContain('Server got itself in trouble');
    ctx.sim.clearFaults();
    expect((await call(ctx.sim, 'GET', '/queue')).status).toBe(200);
  });
});
