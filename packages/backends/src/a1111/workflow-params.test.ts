import type { Workflow } from '@gantry/domain';
import { loadDefaultWorkflow } from '@gantry/gpu-sim';
import { planFromWorkflow } from './workflow-params.js';

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

function graph(edit: (g: Graph) => void = () => undefined): Workflow {
  const g = loadDefaultWorkflow() as Graph;
  edit(g);
  return g as Workflow;
}

describe('planFromWorkflow', () => {
  it('reads ComfyUI’s default workflow as txt2img parameters', () => {
    const g = loadDefaultWorkflow() as Graph;
    expect(planFromWorkflow(graph((w) => Object.assign(w['3']!.inputs, { sampler_name: 'dpmpp_2m', scheduler: 'karras' })))).toEqual({
      params: {
        prompt: g['6']!.inputs.text,
        negative_prompt: g['7']!.inputs.text,
        seed: g['3']!.inputs.seed,
        steps: g['3']!.inputs.steps,
        cfg_scale: g['3']!.inputs.cfg,
        sampler_name: 'DPM++ 2M',
        scheduler: 'Karras',
        width: 512,
        height: 512,
        batch_size: 1,
        model: g['4']!.inputs.ckpt_name,
      },
      node: '3',
      outputNode: '9',
      fileType: 'output',
    });
    expect(planFromWorkflow(graph((w) => (w['9']!.class_type = 'PreviewImage'))).fileType).toBe('temp');
  });

  it.each<[string, (g: Graph) => void, string]>([
    ['an unknown node type', (g) => (g['10'] = { class_type: 'LoraLoader', inputs: {} }), 'LoraLoader'],
    ['img2img (denoise < 1)', (g) => (g['3']!.inputs.denoise = 0.6), 'denoise must be 1'],
    ['a sampler A1111 lacks', (g) => (g['3']!.inputs.sampler_name = 'res_multistep'), 'sampler res_multistep'],
    ['a second output', (g) => (g['10'] = { class_type: 'PreviewImage', inputs: { images: ['8', 0] } }), 'exactly one'],
    ['a linked prompt text', (g) => (g['6']!.inputs.text = ['4', 0]), 'prompt'],
    ['steps above A1111’s range', (g) => (g['3']!.inputs.steps = 200), 'steps'],
  ])('refuses %s as an unsupported workflow (retryable elsewhere)', (_name, edit, problem) => {
    expect(() => planFromWorkflow(graph(edit))).toThrow(expect.objectContaining({ code: 'BACKEND_ERROR', retryable: true, details: { reason: 'unsupported_workflow', problems: expect.arrayContaining([expect.stringContaining(problem)]) } }));
  });
});
