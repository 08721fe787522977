import { explainEligibility, missingModels, whyNoBackend, type EligibilityBackend } from './eligibility';

const base: EligibilityBackend & { id: string } = {
  id: 'gpu0',
  kind: 'comfyui',
  tags: ['sdxl', 'fast'],
  info: { vramTotalMb: 24576, nodeTypes: ['CheckpointLoaderSimple', 'KSampler', 'SaveImage'] },
  state: 'healthy',
  draining: false,
};

describe('explainEligibility', () => {
  it('accepts a backend that has everything', () => {
    expect(explainEligibility({ tags: ['sdxl'], vramMb: 12000, nodeTypes: ['KSampler', 'SaveImage'] }, base)).toEqual({
      eligible: true,
      possible: true,
      reasons: [],
    });
  });

  it('names missing tags, VRAM and node types', () => {
    const r = explainEligibility({ tags: ['sdxl', 'video', 'video'], vramMb: 48000, nodeTypes: ['KSampler', 'UpscaleModelLoader', 'IPAdapter'] }, base);
    expect(r.eligible).toBe(false);
    expect(r.possible).toBe(false);
    expect(r.reasons).toEqual([
      'missing tags: video',
      'needs 48000 MiB of VRAM, has 24576 MiB',
      'lacks node types: IPAdapter, UpscaleModelLoader',
    ]);
  });

  it('treats unknown info as possibly able', () => {
    const r = explainEligibility({ vramMb: 1_000_000, nodeTypes: ['Anything'] }, { ...base, info: null });
    expect(r).toEqual({ eligible: true, possible: true, reasons: [] });
    expect(explainEligibility({ nodeTypes: ['Anything'] }, { ...base, info: { vramTotalMb: 8 } }).eligible).toBe(true);
  });

  it('separates transient reasons (draining, health) from permanent ones', () => {
    const draining = explainEligibility({ nodeTypes: [] }, { ...base, state: 'draining', draining: true });
    expect(draining).toEqual({ eligible: false, possible: true, reasons: ['draining'] });
    const open = explainEligibility({ nodeTypes: [] }, { ...base, state: 'open' });
    expect(open.possible).toBe(true);
    expect(open.reasons[0]).toMatch(/circuit open/);
    expect(explainEligibility({ nodeTypes: [] }, { ...base, state: 'unhealthy' }).reasons[0]).toMatch(/unhealthy/);
    expect(explainEligibility({ nodeTypes: [] }, { ...base, state: 'unknown' }).eligible).toBe(true);
  });

  it('checks the kind when the job names one', () => {
    const r = explainEligibility({ nodeTypes: [], kind: 'comfyui' }, { ...base, kind: 'a1111', info: null });
    expect(r.reasons).toEqual(['is a1111, the job needs comfyui']);
  });

  it('shortens a long list of missing node types', () => {
    const need = Array.from({ length: 14 }, (_, i) => `Custom${String(i).padStart(2, '0')}`);
    const [reason] = explainEligibility({ nodeTypes: need }, base).reasons;
    expect(reason).toMatch(/Custom00, .*Custom09 and 4 more$/);
  });
});

describe('whyNoBackend', () => {
  const fleet = [
    base,
    { ...base, id: 'gpu1' },
    { ...base, id: 'small', tags: ['sdxl'], info: { vramTotalMb: 8192, nodeTypes: ['KSampler'] } },
  ];

  it('is null when one backend could ever run it, ignoring health and draining', () => {
    const sick = fleet.map((b) => ({ ...b, state: 'open' as const, draining: true }));
    expect(whyNoBackend({ tags: ['sdxl'], nodeTypes: ['KSampler'] }, sick)).toBeNull();
  });

  it('groups backends with the same reasons', () => {
    expect(whyNoBackend({ tags: ['video'], vramMb: 16000, nodeTypes: ['KSampler'] }, fleet)).toEqual([
      'gpu0, gpu1: missing tags: video',
      'small: missing tags: video; needs 16000 MiB of VRAM, has 8192 MiB',
    ]);
  });

  it('counts a backend with unknown node types as possibly able', () => {
    const withUnknown = [...fleet, { ...base, id: 'new', info: { vramTotalMb: 24576 } }];
    expect(whyNoBackend({ nodeTypes: ['IPAdapter'] }, withUnknown)).toBeNull();
    expect(whyNoBackend({ nodeTypes: ['IPAdapter'] }, fleet)).toEqual(['gpu0, gpu1, small: lacks node types: IPAdapter']);
  });

  it('says so when there is no backend at all', () => {
    expect(whyNoBackend({ nodeTypes: [] }, [])).toEqual(['no backend is registered']);
  });
});

describe('eligibility by model', () => {
  const holder: EligibilityBackend & { id: string } = {
    ...base,
    id: 'sdxl0',
    info: { ...base.info, models: { checkpoint: ['sd_xl_base_1.0.safetensors'], lora: ['detail.safetensors'] } },
  };
  const other = { ...holder, id: 'sd15', info: { ...base.info, models: { checkpoint: ['v1-5.safetensors'], lora: [] } } };

  it('needs every model the job names, each kind judged only when its list is known', () => {
    const need = { nodeTypes: [], models: [{ kind: 'checkpoint' as const, name: 'sd_xl_base_1.0.safetensors' }, { kind: 'lora' as const, name: 'detail.safetensors' }] };
    expect(explainEligibility(need, holder)).toMatchObject({ eligible: true, possible: true });
    expect(explainEligibility(need, other)).toEqual({
      eligible: false,
      possible: false,
      reasons: ['lacks models: checkpoint: sd_xl_base_1.0.safetensors, lora: detail.safetensors'],
    });
    // No VAE list known: a VAE never excludes; no inventory at all: nothing excludes.
    expect(explainEligibility({ nodeTypes: [], models: [{ kind: 'vae', name: 'x.safetensors' }] }, holder).possible).toBe(true);
    expect(explainEligibility(need, { ...holder, info: { vramTotalMb: 24576 } }).possible).toBe(true);
    // A transient reason keeps it possible but not eligible now.
    expect(explainEligibility(need, { ...holder, state: 'open' })).toMatchObject({ eligible: false, possible: true });
  });

  it('accepts an A1111 checkpoint by any of its aliases', () => {
    const forge = { ...holder, kind: 'a1111' as const, info: { models: { checkpoint: ['v1-5.safetensors'] }, modelAliases: { 'v1-5.safetensors [6ce0161689]': 'v1-5.safetensors', '6ce0161689': 'v1-5.safetensors' } } };
    const need = (name: string) => ({ nodeTypes: [], kind: 'a1111' as const, models: [{ kind: 'checkpoint' as const, name }] });
    expect(missingModels(need('6ce0161689').models, forge.info)).toEqual([]);
    expect(missingModels(need('v1-5.safetensors [6ce0161689]').models, forge.info)).toEqual([]);
    expect(missingModels(need('v1-5.safetensors').models, forge.info)).toEqual([]);
    expect(missingModels(need('sdxl').models, forge.info)).toEqual([{ kind: 'checkpoint', name: 'sdxl' }]);
    expect(missingModels(need('toString').models, forge.info)).toEqual([{ kind: 'checkpoint', name: 'toString' }]);
  });

  it('explains, per backend, which models it lacks', () => {
    expect(whyNoBackend({ nodeTypes: [], models: [{ kind: 'checkpoint', name: 'flux.safetensors' }] }, [holder, other])).toEqual([
      'sdxl0, sd15: lacks models: checkpoint: flux.safetensors',
    ]);
    // Models held by different backends: no single one can run the job.
    const split = { nodeTypes: [], models: [{ kind: 'checkpoint' as const, name: 'v1-5.safetensors' }, { kind: 'lora' as const, name: 'detail.safetensors' }] };
    expect(whyNoBackend(split, [holder, other])).toEqual(['sdxl0: lacks models: checkpoint: v1-5.safetensors', 'sd15: lacks models: lora: detail.safetensors']);
  });
});
