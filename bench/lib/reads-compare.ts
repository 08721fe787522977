/**
 * `npm run bench:reads -- --compare-root <dir>`: a second API process, started from another
 * checkout (a fork point's archive with its node_modules), on the same database and Redis prefix as
 * the one measured, so before and after are measured in the same rounds under the same load
 * (bench/README.md, "Reads"). Run as ProcessHarness runs an API (`node <its node flags>
 * --conditions=@gantry/source --import tsx apps/api/src/main.ts` from that root, each checkout with
 * its own apps/api/node-flags when it has one, or GANTRY_API_NODE_FLAGS for both; its environment
 * only, gone with the bench),
 * ready when `/api/v1/health` answers. When comparing, the measured API is started this way too.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { apiNodeFlags } from '../../scripts/api-node-flags.mjs';

/** As ProcessHarness's: the child kills itself when the bench that started it is gone. */
const PARENT_WATCH = `data:text/javascript;base64,${Buffer.from(
  'const p=process.ppid;const t=setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,"SIGKILL")},250);t.unref();',
).toString('base64')}`;

export interface ComparedApi {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startApiFrom(root: string, env: Record<string, string | undefined>): Promise<ComparedApi> {
  const port = await freePort();
  const flags = existsSync(path.join(root, 'apps/api/node-flags')) || process.env.GANTRY_API_NODE_FLAGS !== undefined ? apiNodeFlags(root) : [];
  const child = spawn(process.execPath, [...flags, '--conditions=@gantry/source', '--import', PARENT_WATCH, '--import', 'tsx', path.join(root, 'apps/api/src/main.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API from ${root} exited (${child.exitCode}): ${stderr}`);
    const ok = await fetch(`${url}/api/v1/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the API from ${root} did not answer in 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}
