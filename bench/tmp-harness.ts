import { readFileSync } from 'node:fs';
import * as testing from '@gantry/testing';
async function main() {
  const stack = await testing.startStack({ worker: false, apiEnv: { GANTRY_TENANT_MAX_QUEUED: '10000000', LOG_LEVEL: 'warn' } });
  const wf = JSON.parse(readFileSync('apps/gpu-sim/fixtures/default-workflow.json', 'utf8'));
  let seed = 0;
  const body = () => JSON.stringify({ jobs: Array.from({ length: 1000 }, () => ({ workflow: { ...wf, '3': { ...wf['3'], inputs: { ...wf['3'].inputs, seed: ++seed } } } })) });
  const bodies = Array.from({ length: 12 }, body);
  const started = performance.now();
  for (const b of bodies) {
    const res = await fetch(`${stack.url}/api/v1/jobs/batch`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' }, body: b });
    if (res.status !== 202) throw new Error(await res.text());
    await res.arrayBuffer();
  }
  console.log('jobs/s', (12000 / ((performance.now() - started) / 1000)).toFixed(0));
  await stack.close();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
