import type { Workflow } from '@gantry/sdk';
import { UsageError } from './exit-codes.js';
import { applyAssignments, parseAssignment, parseSetValue } from './set-inputs.js';

const workflow = (): Workflow => ({
  '3': { class_type: 'KSampler', inputs: { steps: 20, seed: 1, model: ['4', 0] } },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'a.safetensors' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'x' }, _meta: { title: 'Positive' } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'y' } },
});

describe('--set', () => {
  it('parses values as JSON when they parse, else as strings', () => {
    expect(parseSetValue('30')).toBe(30);
    expect(parseSetValue('1.5')).toBe(1.5);
    expect(parseSetValue('true')).toBe(true);
    expect(parseSetValue('null')).toBeNull();
    expect(parseSetValue('["4",1]')).toEqual(['4', 1]);
    expect(parseSetValue('"30"')).toBe('30');
    expect(parseSetValue('a cat, in a hat')).toBe('a cat, in a hat');
    expect(parseSetValue('')).toBe('');
    expect(parseSetValue('{not json')).toBe('{not json');
  });

  it('splits node.input=value at the first dot and the first =', () => {
    expect(parseAssignment('3.steps=30')).toMatchObject({ node: '3', input: 'steps', value: 30 });
    expect(parseAssignment('6.text=a=b')).toMatchObject({ node: '6', input: 'text', value: 'a=b' });
    expect(parseAssignment('6.text=')).toMatchObject({ node: '6', input: 'text', value: '' });
    for (const bad of ['steps=3', '3=4', '.steps=3', '3.=4', '3.steps']) expect(() => parseAssignment(bad)).toThrow(UsageError);
  });

  it('edits a copy of the workflow, by node id, unique class type or title', () => {
    const wf = workflow();
    const out = applyAssignments(wf, ['3.steps=30', 'CheckpointLoaderSimple.ckpt_name=b.safetensors', 'Positive.text=a cat', '3.denoise=0.5'].map(parseAssignment));
    expect(out['3']!.inputs).toEqual({ steps: 30, seed: 1, model: ['4', 0], denoise: 0.5 });
    expect(out['4']!.inputs.ckpt_name).toBe('b.safetensors');
    expect(out['6']!.inputs.text).toBe('a cat');
    expect(wf['3']!.inputs.steps).toBe(20); // the original is untouched
  });

  it('refuses unknown and ambiguous nodes, naming the nodes there are', () => {
    expect(() => applyAssignments(workflow(), [parseAssignment('99.steps=1')], 'wf.json')).toThrow(
      /--set 99.steps=1: no node "99" in wf.json; its nodes are 3 \(KSampler\), 4 \(CheckpointLoaderSimple\)/,
    );
    expect(() => applyAssignments(workflow(), [parseAssignment('CLIPTextEncode.text=z')])).toThrow(/names 2 nodes .*\(6, 7\); use a node id/);
  });
});
