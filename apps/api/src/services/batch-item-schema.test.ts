import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { submitJobSchema } from '@gantry/domain';
import { batchItemSchema } from './batch-item-schema';

const WORKFLOW = JSON.parse(readFileSync(path.join(__dirname, '../../../gpu-sim/fixtures/default-workflow.json'), 'utf8')) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
const UPLOAD = '0192f1a0-0000-7000-8000-000000000001';

/** Bodies a client sends, valid and not: every branch of the schema (kinds, defaults, refinements, strictness). */
const VALID: unknown[] = [
  { workflow: WORKFLOW },
  { workflow: WORKFLOW, metadata: { seed: 1, tags: ['a', { b: null }] }, priority: 7, timeoutSeconds: 60, reuse: true },
  { workflow: { '1': { class_type: 'X' } } }, // a node's inputs default to {}
  { workflow: { '1': { class_type: 'X', inputs: { image: 'in.png' }, _meta: { title: 't', extra: [1, 2] } } }, inputs: { photo: { upload: UPLOAD } } },
  { workflow: WORKFLOW, requirements: { tags: ['sdxl'], vramMb: 8000 }, webhook: { url: 'https://example.com/hook' } },
  { txt2img: { prompt: 'a lighthouse', steps: 20, width: 512, height: 768 } },
  { img2img: { prompt: 'a lighthouse' }, inputs: { image: { upload: UPLOAD } } },
];
const INVALID: unknown[] = [
  {},
  { workflow: {} },
  { workflow: WORKFLOW, txt2img: { prompt: 'x' } },
  { workflow: WORKFLOW, extra: 1 },
  { workflow: WORKFLOW, priority: 1000 },
  { workflow: { '1': { class_type: '', inputs: {} } } },
  { workflow: { '1': { class_type: 'X', inputs: { a: 'x\u0000' } } } },
  { workflow: { '1': { class_type: 'X', inputs: { ['k\ud800']: 1 } } } },
  { workflow: { '1': { class_type: 'X', inputs: { n: Infinity } } } },
  { workflow: { '1': { class_type: 'X', _meta: { title: 1 } } } },
  { workflow: WORKFLOW, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) },
  { txt2img: { prompt: 'x', width: 100 } },
  { txt2img: { prompt: 'x' }, inputs: { image: { upload: UPLOAD } } },
  { img2img: { prompt: 'x' } },
  { img2img: { prompt: 'x' }, inputs: { image: { upload: UPLOAD, node: '1' }, other: { upload: UPLOAD } } },
  { workflow: WORKFLOW, webhook: { url: 'not a url' } },
  'a string',
  null,
];

describe('batchItemSchema: submitJobSchema compiled by zod', () => {
  it('compiles (zod did not fall back to the runtime parser)', () => {
    expect(() => z.compile(submitJobSchema, { strict: true })).not.toThrow();
    expect(batchItemSchema).not.toBe(submitJobSchema);
  });

  it.each(VALID.map((body, i) => [i, body]))('parses valid body %i to what submitJobSchema gives, as a fresh value', (_, body) => {
    const runtime = submitJobSchema.safeParse(body);
    const compiled = batchItemSchema.safeParse(body);
    expect(runtime.success).toBe(true);
    expect(compiled).toStrictEqual(runtime);
    expect(JSON.stringify(compiled.data)).toBe(JSON.stringify(runtime.data)); // same keys in the same order: the same stored JSON
    const input = body as { workflow?: unknown };
    if (input.workflow) expect(compiled.data!.workflow).not.toBe(input.workflow);
  });

  it.each(INVALID.map((body, i) => [i, body]))('refuses invalid body %i with the issues submitJobSchema gives', (_, body) => {
    const runtime = submitJobSchema.safeParse(body);
    const compiled = batchItemSchema.safeParse(body);
    expect(runtime.success).toBe(false);
    expect(compiled.success).toBe(false);
    expect(compiled.error!.issues).toEqual(runtime.error!.issues);
  });
});
