import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readBatchFile } from './batch-file';

describe('readBatchFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gantry-batch-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads job bodies and bare workflows, skips blank lines, and names every bad line by number', async () => {
    const lines = [
      JSON.stringify({ workflow: { '1': { class_type: 'A', inputs: {} } }, metadata: { n: 1 } }),
      '',
      JSON.stringify({ '1': { class_type: 'A', inputs: { seed: 2 } } }),
      '{"workflow": ',
      JSON.stringify({ txt2img: { prompt: 'x' } }),
      '[1, 2]',
      JSON.stringify({ nodes: [], links: [] }),
      JSON.stringify({ '1': { inputs: {} } }),
      '   ',
    ];
    await writeFile(path.join(dir, 'jobs.jsonl'), `${lines.join('\r\n')}\n`);
    const { jobs, bad } = await readBatchFile('jobs.jsonl', dir);
    expect(jobs.map((j) => j.line)).toEqual([1, 3, 5]);
    expect(jobs[0]!.body).toEqual({ workflow: { '1': { class_type: 'A', inputs: {} } }, metadata: { n: 1 } });
    expect(jobs[1]!.body).toEqual({ workflow: { '1': { class_type: 'A', inputs: { seed: 2 } } } });
    expect(jobs[2]!.body).toEqual({ txt2img: { prompt: 'x' } });
    expect(bad.map((b) => b.line)).toEqual([4, 6, 7, 8]);
    expect(bad[0]!.message).toMatch(/not valid JSON/);
    expect(bad[1]!.message).toBe('not a JSON object');
    expect(bad[2]!.message).toMatch(/UI workflow/);
    expect(bad[3]!.message).toMatch(/node "1" has no class_type/);
  });

  it('refuses a file it cannot read as a usage error', async () => {
    await expect(readBatchFile('missing.jsonl', dir)).rejects.toThrow(/Cannot read missing.jsonl: ENOENT/);
  });
});
