import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeBackend } from './probe-backend';

type Handler = (path: string) => { status: number; body?: unknown; delayMs?: number };

async function serve(handler: Handler): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const reply = handler(req.url ?? '');
    setTimeout(() => {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    }, reply.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const MIB = 1024 * 1024;
const systemStats = {
  system: { comfyui_version: '0.3.64', python_version: '3.12' },
  devices: [{ name: 'cuda:0 RTX 4090', type: 'cuda', vram_total: 24576 * MIB, vram_free: 20000.5 * MIB }],
};

describe('health probes', () => {
  it('reads ComfyUI version, VRAM and (when asked) node types', async () => {
    const sim = await serve((path) =>
      path === '/system_stats' ? { status: 200, body: systemStats } : path === '/object_info' ? { status: 200, body: { SaveImage: {}, KSampler: {} } } : { status: 404 },
    );
    try {
      const first = await probeBackend({ id: 'a', kind: 'comfyui', url: `${sim.url}/` }, { timeoutMs: 1000, wantNodeTypes: () => true });
      expect(first).toMatchObject({
        ok: true,
        facts: { version: '0.3.64', deviceName: 'cuda:0 RTX 4090', vramTotalMb: 24576, vramFreeMb: 20000 },
        nodeTypes: ['KSampler', 'SaveImage'],
      });
      const second = await probeBackend({ id: 'a', kind: 'comfyui', url: sim.url }, { timeoutMs: 1000, wantNodeTypes: () => false });
      expect(second.ok && second.nodeTypes).toBeUndefined();
      expect(sim.hits).toEqual(['/system_stats', '/object_info', '/system_stats']);
    } finally {
      await sim.close();
    }
  });

  it('stays up when only /object_info fails', async () => {
    const sim = await serve((path) => (path === '/system_stats' ? { status: 200, body: systemStats } : { status: 500 }));
    try {
      const r = await probeBackend({ id: 'a', kind: 'comfyui', url: sim.url }, { timeoutMs: 1000, wantNodeTypes: () => true });
      expect(r).toMatchObject({ ok: true, nodeTypesError: 'GET /object_info answered 500' });
    } finally {
      await sim.close();
    }
  });

  it('fails on refusal, 5xx, garbage and timeouts', async () => {
    const sim = await serve((path) =>
      path.startsWith('/slow') ? { status: 200, body: {}, delayMs: 500 } : path.startsWith('/bad') ? { status: 200, body: 'not json{' } : { status: 503 },
    );
    try {
      const probe = (url: string) => probeBackend({ id: 'a', kind: 'comfyui', url }, { timeoutMs: 100 });
      expect(await probe(sim.url)).toMatchObject({ ok: false, error: 'GET /system_stats answered 503', timedOut: false });
      expect(await probe(`${sim.url}/bad`)).toMatchObject({ ok: false, error: 'GET /system_stats: the reply is not JSON', timedOut: false });
      expect(await probe(`${sim.url}/slow`)).toMatchObject({ ok: false, error: 'GET /system_stats failed: timed out', timedOut: true });
    } finally {
      await sim.close();
    }
    expect(await probeBackend({ id: 'a', kind: 'comfyui', url: sim.url }, { timeoutMs: 500 })).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/), timedOut: false });
  });

  it('reads A1111 VRAM from /sdapi/v1/memory', async () => {
    const a1111 = await serve((path) =>
      path === '/sdapi/v1/memory' ? { status: 200, body: { ram: {}, cuda: { system: { free: 1000 * MIB, used: 1048 * MIB, total: 2048 * MIB } } } } : { status: 404 },
    );
    try {
      expect(await probeBackend({ id: 'x', kind: 'a1111', url: a1111.url }, { timeoutMs: 1000, wantNodeTypes: () => true })).toMatchObject({
        ok: true,
        facts: { version: null, vramTotalMb: 2048, vramFreeMb: 1000 },
      });
    } finally {
      await a1111.close();
    }
  });

  it('falls back to /sdapi/v1/options when an A1111 server has no memory route, and tolerates a CPU-only reply', async () => {
    const old = await serve((path) => (path === '/sdapi/v1/options' ? { status: 200, body: { sd_model_checkpoint: 'x' } } : { status: 404 }));
    const cpu = await serve(() => ({ status: 200, body: { ram: {}, cuda: { error: 'no CUDA' } } }));
    try {
      expect(await probeBackend({ id: 'x', kind: 'a1111', url: old.url }, { timeoutMs: 1000 })).toMatchObject({ ok: true, facts: { vramTotalMb: null } });
      expect(old.hits).toEqual(['/sdapi/v1/memory', '/sdapi/v1/options']);
      expect(await probeBackend({ id: 'y', kind: 'a1111', url: cpu.url }, { timeoutMs: 1000 })).toMatchObject({ ok: true, facts: { vramTotalMb: null } });
    } finally {
      await old.close();
      await cpu.close();
    }
  });
});
