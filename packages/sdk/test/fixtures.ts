import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Workflow } from '@gantry/sdk';

/** ComfyUI's default workflow (the gpu-sim fixture) with `steps` sampler steps. */
export function workflow(steps = 5): Workflow {
  const wf = JSON.parse(readFileSync(path.join(__dirname, '../../../apps/gpu-sim/fixtures/default-workflow.json'), 'utf8')) as Workflow;
  wf['3']!.inputs.steps = steps;
  return wf;
}

/**
 * A TCP proxy in front of the API whose connections the test can cut (a network drop as the
 * client sees it: no close frame, the socket just dies).
 */
export async function cuttableProxy(target: string): Promise<{ url: string; cut(): number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${own}`,
    cut: () => {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
