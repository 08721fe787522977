import { canonicalJson } from './canonical-json';
import { reuseKey } from './reuse-key';

const workflow = () => ({
  '3': { class_type: 'KSampler', inputs: { seed: 42, steps: 20, cfg: 7, model: ['4', 0], positive: ['6', 0] } },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5.safetensors' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse', clip: ['4', 1] }, _meta: { title: 'Prompt' } },
});

describe('canonicalJson', () => {
  it('ignores key order and whitespace, keeps array order, drops undefined members', () => {
    expect(canonicalJson(JSON.parse('{ "b": 1,\n "a": [2, 1] }'))).toBe(canonicalJson({ a: [2, 1], b: 1, c: undefined }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });
});

describe('reuseKey', () => {
  const key = (wf: unknown, requirements?: unknown) => reuseKey({ kind: 'workflow', workflow: wf, requirements });

  it('is the same for the same workflow whatever its key order, whitespace or node titles', () => {
    const a = key(workflow());
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    const reordered = JSON.parse(`{"6": {"inputs": {"clip": ["4", 1], "text": "a lighthouse"}, "class_type": "CLIPTextEncode"},
      "4": {"inputs": {"ckpt_name": "v1-5.safetensors"}, "class_type": "CheckpointLoaderSimple"},
      "3": {"inputs": {"positive": ["6", 0], "model": ["4", 0], "cfg": 7, "steps": 20, "seed": 42}, "class_type": "KSampler"}}`);
    expect(key(reordered)).toBe(a);
    const retitled = workflow();
    retitled['6']._meta = { title: 'Another title' };
    expect(key(retitled)).toBe(a);
  });

  it('changes with any input that changes the render: seed, prompt, a link, a bound input file name', () => {
    const a = key(workflow());
    const seed = workflow();
    seed['3'].inputs.seed = 43;
    const text = workflow();
    text['6'].inputs.text = 'a lighthouse at night';
    const link = workflow();
    link['3'].inputs.positive = ['6', 1];
    const image = { ...workflow(), '9': { class_type: 'LoadImage', inputs: { image: 'aa11.png' } } };
    const otherImage = { ...workflow(), '9': { class_type: 'LoadImage', inputs: { image: 'bb22.png' } } };
    const keys = [a, key(seed), key(text), key(link), key(image), key(otherImage)];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is null when a seed input is not a literal whole number ≥ 0 (random)', () => {
    for (const seed of [-1, ['10', 0], '42', 1.5, null]) {
      const wf = workflow();
      (wf['3'].inputs as Record<string, unknown>).seed = seed;
      expect(key(wf)).toBeNull();
    }
    const advanced = { '1': { class_type: 'KSamplerAdvanced', inputs: { noise_seed: ['2', 0], steps: 20 } } };
    expect(key(advanced)).toBeNull();
    const custom = { '1': { class_type: 'RandomNoise', inputs: { noise_seed: 7 } } };
    expect(key(custom)).not.toBeNull();
    expect(key({ '1': { class_type: 'ImageScale', inputs: { width: 64 } } })).not.toBeNull(); // no seed at all: deterministic
  });

  it('counts requirement tags as a set, and not the VRAM floor', () => {
    const a = key(workflow(), { tags: ['sdxl', 'a100'] });
    expect(key(workflow(), { tags: ['a100', 'sdxl', 'a100'], vramMb: 8000 })).toBe(a);
    expect(key(workflow(), { tags: ['sdxl'] })).not.toBe(a);
    expect(key(workflow())).toBe(key(workflow(), { vramMb: 4096 }));
  });

  it('keys txt2img by its parameters, only with a fixed seed, and apart from a workflow', () => {
    const params = { prompt: 'a fox', steps: 20, seed: 5 };
    const t = reuseKey({ kind: 'txt2img', workflow: params });
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(reuseKey({ kind: 'txt2img', workflow: { steps: 20, seed: 5, prompt: 'a fox' } })).toBe(t);
    expect(reuseKey({ kind: 'txt2img', workflow: { ...params, seed: 6 } })).not.toBe(t);
    expect(reuseKey({ kind: 'txt2img', workflow: { ...params, seed: -1 } })).toBeNull();
    expect(reuseKey({ kind: 'txt2img', workflow: { prompt: 'a fox', steps: 20 } })).toBeNull();
    expect(reuseKey({ kind: 'workflow', workflow: params })).not.toBe(t);
  });

  it('keys img2img by its input images too: one parameter set over two images never shares a key', () => {
    const params = { prompt: 'a fox', steps: 20, seed: 5 };
    const a = reuseKey({ kind: 'img2img', workflow: params, inputs: { image: 'a'.repeat(64) } });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(reuseKey({ kind: 'img2img', workflow: params, inputs: { image: 'a'.repeat(64) } })).toBe(a);
    expect(reuseKey({ kind: 'img2img', workflow: params, inputs: { image: 'b'.repeat(64) } })).not.toBe(a);
    expect(reuseKey({ kind: 'img2img', workflow: params })).not.toBe(a);
    // No inputs: the key is the one a job without the field had (keys already stored stay valid).
    expect(reuseKey({ kind: 'txt2img', workflow: params, inputs: {} })).toBe(reuseKey({ kind: 'txt2img', workflow: params }));
  });
});
