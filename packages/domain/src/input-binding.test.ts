import { applyInputBindings, findInputTargets } from './input-binding';
import type { Workflow } from '@gantry/contract';

const wf: Workflow = {
  '10': { class_type: 'LoadImage', inputs: { image: 'photo', upload: 'image' } },
  '11': { class_type: 'LoadImageMask', inputs: { image: 'mask', channel: 'alpha' } },
  '12': { class_type: 'LoadImage', inputs: { image: 'example.png' }, _meta: { title: 'style' } },
  '13': { class_type: 'LoadVideo', inputs: { file: 'clip' } },
  '14': { class_type: 'CLIPTextEncode', inputs: { text: 'photo' } },
  '15': { class_type: 'IPAdapterLoader', inputs: { image: ['12', 0] } },
};

describe('input binding', () => {
  it('finds loaders by value, by title and by explicit node; ignores text that happens to match', () => {
    expect(findInputTargets(wf, 'photo', {})).toEqual([{ node: '10', field: 'image' }]);
    expect(findInputTargets(wf, 'mask', {})).toEqual([{ node: '11', field: 'image' }]);
    expect(findInputTargets(wf, 'style', {})).toEqual([{ node: '12', field: 'image' }]);
    expect(findInputTargets(wf, 'clip', {})).toEqual([{ node: '13', field: 'file' }]);
    expect(findInputTargets(wf, 'anything', { node: '12' })).toEqual([{ node: '12', field: 'image' }]);
    expect(findInputTargets(wf, 'anything', { node: '13', field: 'file' })).toEqual([{ node: '13', field: 'file' }]);
  });

  it('binds one input to every node that names it', () => {
    const two: Workflow = { ...wf, '20': { class_type: 'LoadImage', inputs: { image: 'photo' } } };
    expect(findInputTargets(two, 'photo', {})).toEqual([{ node: '10', field: 'image' }, { node: '20', field: 'image' }]);
  });

  it('refuses an input nothing names, and an explicit node that does not exist', () => {
    expect(() => findInputTargets(wf, 'nope', {})).toThrow(expect.objectContaining({ code: 'INPUT_UNBOUND' }));
    expect(() => findInputTargets(wf, 'photo', { node: '99' })).toThrow(expect.objectContaining({ code: 'INPUT_UNBOUND' }));
  });

  it('rewrites the bound fields in a copy', () => {
    const bound = applyInputBindings(wf, [{ targets: [{ node: '10', field: 'image' }], value: 'gantry/abc.png' }]);
    expect(bound['10']!.inputs.image).toBe('gantry/abc.png');
    expect(wf['10']!.inputs.image).toBe('photo');
  });
});
