import { AppError } from './errors';
import { checkWorkflowSize, utf8Length, type WorkflowLimits } from './workflow-limits';
import type { Workflow } from '@gantry/contract';

const limits: WorkflowLimits = { maxNodes: 3, maxBytes: 400, maxStringBytes: 10 };
const node = (text: string) => ({ class_type: 'CLIPTextEncode', inputs: { text, clip: ['1', 1] as [string, number] } });

function refusal(workflow: Workflow, within = limits): { code: string; status: number; details: unknown } | undefined {
  try {
    checkWorkflowSize(workflow, within);
    return undefined;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { code: err.code, status: err.status, details: err.details };
  }
}

describe('workflow size limits', () => {
  it('takes a workflow at every limit, refuses one node over with 413 WORKFLOW_TOO_LARGE', () => {
    expect(refusal({ a: node('x'), b: node('y'), c: node('z') })).toBeUndefined();
    expect(refusal({ a: node('x'), b: node('y'), c: node('z'), d: node('w') })).toEqual({ code: 'WORKFLOW_TOO_LARGE', status: 413, details: { limit: 'nodes', max: 3, actual: 4 } });
  });

  it('counts the bytes of the JSON sent to the backend, UTF-8', () => {
    const one = { a: { class_type: 'X', inputs: { t: '' } } };
    const base = JSON.stringify(one).length;
    const at = { a: { class_type: 'X', inputs: { t: 'é'.repeat(5), u: 'x'.repeat(400 - base - 10 - 7) } } };
    expect(utf8Length(JSON.stringify(at))).toBe(400);
    const longStrings = { ...limits, maxStringBytes: 1000 };
    expect(refusal(at, longStrings)).toBeUndefined();
    const over = { a: { class_type: 'X', inputs: { ...at.a.inputs, u: `${at.a.inputs.u}x` } } };
    expect(refusal(over, longStrings)).toEqual({ code: 'WORKFLOW_TOO_LARGE', status: 413, details: { limit: 'bytes', max: 400, actual: 401 } });
  });

  it('refuses one string over the string limit with 422 naming it, nested values included', () => {
    expect(refusal({ a: node('x'.repeat(10)) })).toBeUndefined();
    expect(refusal({ a: node('é'.repeat(5)) })).toBeUndefined(); // 10 bytes
    expect(refusal({ a: node('🎨🎨') })).toBeUndefined(); // 8 bytes
    expect(refusal({ a: node('🎨🎨🎨') })).toMatchObject({ status: 422, details: [{ path: 'workflow.a.inputs.text', code: 'too_big' }] }); // 12 bytes
    expect(refusal({ a: { class_type: 'X', inputs: { deep: { __value__: ['ok', 'x'.repeat(11)] } } } })).toEqual({
      code: 'VALIDATION_FAILED',
      status: 422,
      details: [{ path: 'workflow.a.inputs.deep.__value__.1', code: 'too_big', message: expect.stringMatching(/at most 10 bytes \(this one has 11\)/) }],
    });
  });

  it('measures UTF-8 like Buffer does', () => {
    for (const s of ['', 'abc', 'é', '€', '🎨', 'a🎨é€z'.repeat(50)]) expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
  });

  it('asks jsonOf for the JSON once the node count has passed, and counts the bytes of what it wrote', () => {
    const limits: WorkflowLimits = { maxNodes: 2, maxBytes: 60, maxStringBytes: 1000 };
    const workflow = { '1': { class_type: 'A', inputs: { text: 'é' } } } as Workflow;
    const written: string[] = [];
    const jsonOf = (w: Workflow): string => {
      const json = JSON.stringify(w);
      written.push(json);
      return json;
    };
    checkWorkflowSize(workflow, limits, jsonOf);
    expect(written).toEqual([JSON.stringify(workflow)]);
    // Over the node limit: refused before any JSON is written.
    const many = { '1': workflow['1']!, '2': workflow['1']!, '3': workflow['1']! } as Workflow;
    expect(() => checkWorkflowSize(many, limits, jsonOf)).toThrow(AppError);
    expect(written).toHaveLength(1);
    // The byte limit reads the text jsonOf gave (here padded past the limit).
    expect(() => checkWorkflowSize(workflow, limits, (w) => `${JSON.stringify(w)}${' '.repeat(60)}`)).toThrow(/bytes as JSON/);
  });
});

