import { resolveModelFiles } from '../models/model-files.js';
import { buildNodeTypes } from '../nodes/node-types.js';
import type { NodeError, Prompt } from '../prompt.js';
import { loadDefaultWorkflow } from '../workflow.js';
import { validatePrompt, type PromptValidation } from './validate-prompt.js';

const types = buildNodeTypes(resolveModelFiles(['model-a.safetensors', 'model-b.safetensors']));

/** The default workflow, using this test's models. */
function workflow(): Record<string, { class_type: string; inputs: Record<string, unknown> }> {
  const wf = loadDefaultWorkflow() as unknown as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  wf['4']!.inputs.ckpt_name = 'model-a.safetensors';
  return wf;
}

function rejected(result: PromptValidation) {
  if (result.ok) throw new Error('expected a rejection');
  return result;
}

function onlyError(nodeError: NodeError | undefined) {
  expect(nodeError?.errors).toHaveLength(1);
  return nodeError!.errors[0]!;
}

describe('validatePrompt', () => {
  it('accepts the default workflow with output 9 and no node errors', () => {
    const result = validatePrompt(workflow(), types);
    expect(result).toMatchObject({ ok: true, outputs: ['9'], nodeErrors: {} });
  });

  it('rejects an unknown node class as invalid_prompt with empty node_errors', () => {
    const wf = { ...workflow(), '10': { class_type: 'IPAdapterApply', inputs: {} } };
    expect(rejected(validatePrompt(wf, types))).toEqual({
      ok: false,
      error: { type: 'invalid_prompt', message: 'Cannot execute because node IPAdapterApply does not exist.', details: "Node ID '#10'", extra_info: {} },
      nodeErrors: {},
    });
  });

  it('rejects a node without class_type', () => {
    const wf = { ...workflow(), '10': { inputs: {} } };
    expect(rejected(validatePrompt(wf, types)).error).toMatchObject({ type: 'invalid_prompt', message: 'Cannot execute because a node is missing the class_type property.', details: "Node ID '#10'" });
  });

  it('rejects a prompt without output nodes as prompt_no_outputs', () => {
    const wf = workflow();
    delete wf['9'];
    expect(rejected(validatePrompt(wf, types))).toEqual({ ok: false, error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, nodeErrors: {} });
  });

  it('reports a missing required input on its node, with dependent outputs and class', () => {
    const wf = workflow();
    delete wf['3']!.inputs.seed;
    const result = rejected(validatePrompt(wf, types));
    expect(result.error).toEqual({ type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} });
    expect(Object.keys(result.nodeErrors)).toEqual(['3']);
    expect(result.nodeErrors['3']).toMatchObject({ dependent_outputs: ['9'], class_type: 'KSampler' });
    expect(onlyError(result.nodeErrors['3'])).toEqual({ type: 'required_input_missing', message: 'Required input is missing', details: 'seed', extra_info: { input_name: 'seed' } });
  });

  it('lists the output node’s own errors in details', () => {
    const wf = workflow();
    delete wf['9']!.inputs.images;
    expect(rejected(validatePrompt(wf, types)).error.details).toBe('Required input is missing: images');
  });

  it('reports values out of range', () => {
    const wf = workflow();
    wf['3']!.inputs.steps = 0;
    wf['5']!.inputs.width = 99999;
    const { nodeErrors } = rejected(validatePrompt(wf, types));
    expect(onlyError(nodeErrors['3'])).toMatchObject({ type: 'value_smaller_than_min', message: 'Value 0 smaller than min of 1', details: 'steps', extra_info: { input_name: 'steps', received_value: 0 } });
    expect(onlyError(nodeErrors['5'])).toMatchObject({ type: 'value_bigger_than_max', message: 'Value 99999 bigger than max of 16384', details: 'width' });
    // Both upstream nodes feed output 9.
    expect(nodeErrors['5']!.dependent_outputs).toEqual(['9']);
  });

  it('formats FLOAT limits like Python', () => {
    const wf = workflow();
    wf['3']!.inputs.cfg = -1;
    expect(onlyError(rejected(validatePrompt(wf, types)).nodeErrors['3']).message).toBe('Value -1.0 smaller than min of 0.0');
  });

  it('reports values not in a list, echoing short lists and only the length of long ones', () => {
    const wf = workflow();
    wf['4']!.inputs.ckpt_name = 'missing.safetensors';
    wf['3']!.inputs.sampler_name = 'warp_drive';
    const { nodeErrors } = rejected(validatePrompt(wf, types));
    expect(onlyError(nodeErrors['4'])).toMatchObject({
      type: 'value_not_in_list',
      details: "ckpt_name: 'missing.safetensors' not in ['model-a.safetensors', 'model-b.safetensors']",
      extra_info: { input_name: 'ckpt_name', received_value: 'missing.safetensors', input_config: [['model-a.safetensors', 'model-b.safetensors'], expect.any(Object)] },
    });
    expect(onlyError(nodeErrors['3'])).toMatchObject({ type: 'value_not_in_list', details: "sampler_name: 'warp_drive' not in (list of length 37)", extra_info: { input_config: null } });
  });

  it('converts literals like Python and reports the ones that do not convert', () => {
    const wf = workflow();
    wf['3']!.inputs.steps = '12';
    wf['3']!.inputs.seed = 'abc';
    const result = rejected(validatePrompt(wf, types));
    expect(onlyError(result.nodeErrors['3'])).toMatchObject({
      type: 'invalid_input_type',
      message: 'Failed to convert an input value to a INT value',
      details: "seed, abc, invalid literal for int() with base 10: 'abc'",
    });
    const ok = validatePrompt({ ...workflow(), '5': { class_type: 'EmptyLatentImage', inputs: { width: '256', height: 256.9, batch_size: { __value__: 2 } } } }, types);
    expect(ok.ok && (ok.prompt['5']!.inputs as Record<string, unknown>)).toEqual({ width: 256, height: 256, batch_size: 2 });
  });

  it('reports bad links: wrong length, wrong type, missing node', () => {
    const badShape = workflow();
    badShape['8']!.inputs.samples = ['3', 0, 1];
    const shapeErrors = rejected(validatePrompt(badShape, types)).nodeErrors;
    expect(onlyError(shapeErrors['8'])).toMatchObject({ type: 'bad_linked_input', details: 'samples', extra_info: { received_value: ['3', 0, 1] } });
    // A malformed link is not followed, so nothing upstream of it is reported.
    expect(Object.keys(shapeErrors)).toEqual(['8']);

    const wrongType = workflow();
    wrongType['3']!.inputs.positive = ['5', 0];
    expect(onlyError(rejected(validatePrompt(wrongType, types)).nodeErrors['3'])).toMatchObject({
      type: 'return_type_mismatch',
      details: 'positive, received_type(LATENT) mismatch input_type(CONDITIONING)',
    });

    const missing = workflow();
    missing['3']!.inputs.model = ['42', 0];
    // Python raises KeyError inside KSampler's validation; its caller reports it on node 3.
    expect(onlyError(rejected(validatePrompt(missing, types)).nodeErrors['3'])).toMatchObject({
      type: 'exception_during_inner_validation',
      details: "'42'",
      extra_info: { exception_type: 'KeyError', input_name: 'samples', linked_node: ['3', 0] },
    });
  });

  it('accepts with node_errors when another output is valid, running only the good one', () => {
    const wf: Prompt = { ...(workflow() as Prompt), '10': { class_type: 'PreviewImage', inputs: { images: ['8', 5] } } };
    const result = validatePrompt(wf, types);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.outputs).toEqual(['9']);
    expect(result.nodeErrors['10']).toMatchObject({ class_type: 'PreviewImage', dependent_outputs: ['10'] });
    expect(onlyError(result.nodeErrors['10']).type).toBe('exception_during_validation');
  });

  it('honours partial_execution_targets', () => {
    const wf: Prompt = { ...(workflow() as Prompt), '10': { class_type: 'PreviewImage', inputs: { images: ['8', 0] } } };
    expect(validatePrompt(wf, types, ['10'])).toMatchObject({ ok: true, outputs: ['10'] });
    expect(rejected(validatePrompt(wf, types, ['3'])).error.type).toBe('prompt_no_outputs');
  });

  it('throws (→ HTTP 500) when the prompt is not an object, and never mutates its input', () => {
    expect(() => validatePrompt([], types)).toThrow(TypeError);
    const wf = workflow();
    wf['3']!.inputs.steps = '7';
    validatePrompt(wf, types);
    expect(wf['3']!.inputs.steps).toBe('7');
  });
});
