import { submitJobSchema, workflowNodeTypes } from './index';

const workflow = {
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd15.safetensors' } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'x' } },
};

describe('submitJobSchema', () => {
  it('accepts a workflow and fills defaults', () => {
    const parsed = submitJobSchema.parse({ workflow });
    expect(parsed.priority).toBe(0);
    expect(workflowNodeTypes(parsed.workflow!)).toEqual(['CheckpointLoaderSimple', 'SaveImage']);
  });

  it('reports each failing field', () => {
    const result = submitJobSchema.safeParse({ workflow: { '1': { inputs: {} } }, priority: 1000, extra: 1 });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['workflow.1.class_type', 'priority']));
    expect(result.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  it('refuses an empty workflow', () => {
    expect(submitJobSchema.safeParse({ workflow: {} }).success).toBe(false);
  });
});

describe('submitJobSchema kinds', () => {
  it('takes txt2img parameters instead of a workflow', () => {
    const parsed = submitJobSchema.parse({ txt2img: { prompt: 'a lighthouse', steps: 20, width: 512, height: 768 } });
    expect(parsed.txt2img).toMatchObject({ prompt: 'a lighthouse' });
  });

  it('wants exactly one of workflow and txt2img', () => {
    expect(submitJobSchema.safeParse({}).success).toBe(false);
    expect(submitJobSchema.safeParse({ workflow, txt2img: { prompt: 'x' } }).success).toBe(false);
    expect(submitJobSchema.safeParse({ txt2img: { prompt: 'x', width: 100 } }).success).toBe(false);
  });
});
