import { workflowText } from '@gantry/domain';
import { batchRequestHash, requestHash } from './request-hash';

describe('request hashes', () => {
  it('hashes a batch item by item exactly as the whole body { batch }', () => {
    const items = [{ workflow: { '1': { class_type: 'A', inputs: { b: 1, a: [1, { z: undefined, y: 'é"' }] } } }, priority: 0 }, { txt2img: { prompt: 'x' } }, null];
    expect(batchRequestHash(items)).toBe(requestHash({ batch: items }));
    expect(batchRequestHash([])).toBe(requestHash({ batch: [] }));
    expect(batchRequestHash([{ b: 1, a: 2 }])).toBe(batchRequestHash([{ a: 2, b: 1 }]));
    expect(batchRequestHash([{ a: 1 }, { a: 2 }])).not.toBe(batchRequestHash([{ a: 2 }, { a: 1 }]));
  });

  it("hashes the same with each item's workflow text given (workflowText) as without", () => {
    const items = Array.from({ length: 40 }, (_, i) => ({
      metadata: { seed: i },
      workflow: { [String(i % 12)]: { inputs: { seed: i % 3 === 0 ? -1 : i, text: 'é"\\x'.repeat(i % 4) }, class_type: 'KSampler', _meta: { title: `t${i}` } }, '9': { class_type: 'Load', inputs: { a: [String(i), 0] } } },
      ...(i % 5 === 0 ? { priority: i } : {}),
    }));
    const mixed = [...items, { txt2img: { prompt: 'x', seed: 1 } }];
    const texts = mixed.map((item) => ('workflow' in item ? workflowText(item.workflow) : undefined));
    expect(batchRequestHash(mixed, texts)).toBe(requestHash({ batch: mixed }));
    // A text stands for its workflow: a different one gives a different hash.
    expect(batchRequestHash(mixed, [workflowText({ '1': { class_type: 'X', inputs: {} } }), ...texts.slice(1)])).not.toBe(requestHash({ batch: mixed }));
  });
});
