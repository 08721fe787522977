import { batchRequestHash, requestHash } from './request-hash';

describe('request hashes', () => {
  it('hashes a batch item by item exactly as the whole body { batch }', () => {
    const items = [{ workflow: { '1': { class_type: 'A', inputs: { b: 1, a: [1, { z: undefined, y: 'é"' }] } } }, priority: 0 }, { txt2img: { prompt: 'x' } }, null];
    expect(batchRequestHash(items)).toBe(requestHash({ batch: items }));
    expect(batchRequestHash([])).toBe(requestHash({ batch: [] }));
    expect(batchRequestHash([{ b: 1, a: 2 }])).toBe(batchRequestHash([{ a: 2, b: 1 }]));
    expect(batchRequestHash([{ a: 1 }, { a: 2 }])).not.toBe(batchRequestHash([{ a: 2 }, { a: 1 }]));
  });
});
