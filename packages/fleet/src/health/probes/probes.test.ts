import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeBackend } from './probe-backend';

/** `hang`: never answered (closed with the server): a probe of it times out however fast the machine is. */
type Handler = (path: string) => { status: number; body?: unknown; hang?: boolean };

async function serve(handler: Handler): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const reply = handler(req.url ?? '');
    if (reply.hang) return;
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
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
      const first = await probeBackend({ id: 'a', kind: 'comfyui', url: `${sim.url}/` }, { timeoutMs: 10_000, wantNodeTypes: () => true });
      expect(first).toMatchObject({
        ok: true,
        facts: { version: '0.3.64', deviceName: 'cuda:0 RTX 4090', vramTotalMb: 24576, vramFreeMb: 20000 },
        nodeTypes: ['KSampler', 'SaveImage'],
      });
      const second = await probeBackend({ id: 'a', kind: 'comfyui', url: sim.url }, { timeoutMs: 10_000, wantNodeTypes: () => false });
      expect(second.ok && second.nodeTypes).toBeUndefined();
      expect(sim.hits).toEqual(['/system_stats', '/object_info', '/system_stats']);
    } finally {
      await sim.close();
    }
  });

  it('stays up when only /object_info fails', async () => {
    const sim = await serve((path) => (path === '/system_stats' ? { status: 200, body: systemStats } : { status: 500 }));
    try {
      const r = await probeBackend({ id: 'a', kind: 'comfyui', url: sim.url }, { timeoutMs: 10_000, wantNodeTypes: () => true });
      expect(r).toMatchObject({ ok: true, nodeTypesError: 'GET /object_info answered 500' });
    } finally {
      await sim.close();
    }
  });

  it('fails on refusal, 5xx, garbage and timeouts', async () => {
    const sim = await serve((path) =>
      path.startsWith('/slow') ? { status: 200, hang: true } : path.startsWith('/bad') ? { status: 200, body: 'not json{' } : { status: 503 },
    );
    try {
      // Answers get a timeout no busy machine reaches; the hanging path one that always passes.
      const probe = (url: string, timeoutMs = 10_000) => probeBackend({ id: 'a', kind: 'comfyui', url }, { timeoutMs });
      expect(await probe(sim.url)).toMatchObject({ ok: false, error: 'GET /system_stats answered 503', timedOut: false });
      expect(await probe(`${sim.url}/bad`)).toMatchObject({ ok: false, error: 'GET /system_stats: the reply is not JSON', timedOut: false });
      expect(await probe(`${sim.url}/slow`, 100)).toMatchObject({ ok: false, error: 'GET /system_stats failed: timed out', timedOut: true });
    } finally {
      await sim.close();
    }
    expect(await probeBackend({ id: 'a', kind: 'comfyui', url: sim.url }, { timeoutMs: 10_000 })).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/), timedOut: false });
  });

  it('reads A1111 VRAM from /sdapi/v1/memory', async () => {
    const a1111 = await serve((path) =>
      path === '/sdapi/v1/memory' ? { status: 200, body: { ram: {}, cuda: { system: { free: 1000 * MIB, used: 1048 * MIB, total: 2048 * MIB } } } } : { status: 404 },
    );
    try {
      expect(await probeBackend({ id: 'x', kind: 'a1111', url: a1111.url }, { timeoutMs: 10_000, wantNodeTypes: () => true })).toMatchObject({
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
      expect(await probeBackend({ id: 'x', kind: 'a1111', url: old.url }, { timeoutMs: 10_000 })).toMatchObject({ ok: true, facts: { vramTotalMb: null } });
      expect(old.hits).toEqual(['/sdapi/v1/memory', '/sdapi/v1/options']);
      expect(await probeBackend({ id: 'y', kind: 'a1111', url: cpu.url }, { timeoutMs: 10_000 })).toMatchObject({ ok: true, facts: { vramTotalMb: null } });
    } finally {
      await old.close();
      await cpu.close();
    }
  });
});

describe('model inventories', () => {
  it('reads ComfyUI models from the loader nodes of /object_info (both combo shapes)', async () => {
    const objectInfo = {
      CheckpointLoaderSimple: { input: { required: { ckpt_name: [['b.safetensors', 'a.safetensors'], { tooltip: 'x' }] } } },
      CheckpointLoader: { input: { required: { ckpt_name: [['c.safetensors']], config_name: [['v1.yaml']] } } },
      LoraLoader: { input: { required: { lora_name: ['COMBO', { options: ['detail.safetensors'] }], model: ['MODEL'] } } },
      DualCLIPLoader: { input: { required: { clip_name1: [['clip_l.safetensors']], clip_name2: [['t5.safetensors']] } } },
      VAELoader: { input: { required: { vae_name: [[]] } } },
      KSampler: { input: { required: { sampler_name: [['euler']] } } },
    };
    const sim = await serve((path) => (path === '/system_stats' ? { status: 200, body: systemStats } : { status: 200, body: objectInfo }));
    try {
      const r = await probeBackend({ id: 'a', kind: 'comfyui', url: sim.url }, { timeoutMs: 10_000, wantNodeTypes: () => true });
      expect(r.ok && r.models).toEqual({
        checkpoint: ['a.safetensors', 'b.safetensors', 'c.safetensors'],
        lora: ['detail.safetensors'],
        vae: [], // installed loader, no files: known to hold none
        clip: ['clip_l.safetensors', 't5.safetensors'],
      });
    } finally {
      await sim.close();
    }
  });

  it('reads A1111 models and checkpoint aliases; optional listings may be missing', async () => {
    const sdModels = [{ title: 'sd15.safetensors [6ce0161689]', model_name: 'sd15', hash: '6ce0161689', sha256: 'f'.repeat(64), filename: '/m/sd15.safetensors' }];
    const a1111 = await serve((path) =>
      path === '/sdapi/v1/memory'
        ? { status: 200, body: { cuda: { system: { total: 1024 * MIB, free: 0 } } } }
        : path === '/sdapi/v1/sd-models'
          ? { status: 200, body: sdModels }
          : path === '/sdapi/v1/sd-vae'
            ? { status: 200, body: [{ model_name: 'ft.safetensors', filename: '/v/ft.safetensors' }] }
            : { status: 404 },
    );
    try {
      const r = await probeBackend({ id: 'f', kind: 'a1111', url: a1111.url }, { timeoutMs: 10_000, wantNodeTypes: () => true });
      expect(r).toMatchObject({ ok: true, models: { checkpoint: ['sd15.safetensors'], vae: ['ft.safetensors'] } });
      expect(r.ok && r.models && 'lora' in r.models).toBe(false); // no Lora extension: unknown, not empty
      expect(r.ok && r.modelAliases).toEqual({ 'sd15.safetensors [6ce0161689]': 'sd15.safetensors', sd15: 'sd15.safetensors', '6ce0161689': 'sd15.safetensors', ['f'.repeat(64)]: 'sd15.safetensors' });
      const quiet = await probeBackend({ id: 'f', kind: 'a1111', url: a1111.url }, { timeoutMs: 10_000, wantNodeTypes: () => false });
      expect(quiet.ok && quiet.models).toBeUndefined();
    } finally {
      await a1111.close();
    }
    const broken = await serve((path) => (path === '/sdapi/v1/memory' ? { status: 200, body: {} } : { status: 500 }));
    try {
      expect(await probeBackend({ id: 'f', kind: 'a1111', url: broken.url }, { timeoutMs: 10_000, wantNodeTypes: () => true })).toMatchObject({
        ok: true,
        modelsError: 'GET /sdapi/v1/sd-models answered 500',
      });
    } finally {
      await broken.close();
    }
  });
});
