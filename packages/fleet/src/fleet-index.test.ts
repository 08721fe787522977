import { ManualClock } from '@gantry/domain';
import { FleetIndex, type IndexedBackend } from './fleet-index';
import { whyNoBackend } from './eligibility';

function backend(id: string, nodeTypes: string[]): IndexedBackend {
  return { id, kind: 'comfyui', tags: [], info: { nodeTypes }, state: 'unknown', draining: false };
}

describe('FleetIndex', () => {
  it('reads the backends again only when the announced version moves, the list expires, or the version is unknown', async () => {
    const clock = new ManualClock();
    let reads = 0;
    let fleet = [backend('a', ['KSampler'])];
    const index = new FleetIndex({ load: async () => (reads++, fleet), maxAgeMs: 5000, clock });

    expect((await index.backends('v1')).map((b) => b.id)).toEqual(['a']);
    expect(await index.backends('v1')).toBe(await index.backends('v1'));
    expect(reads).toBe(1);

    fleet = [backend('a', ['KSampler']), backend('b', ['Other'])];
    expect((await index.backends('v2')).map((b) => b.id)).toEqual(['a', 'b']);
    expect(reads).toBe(2);

    // A write that announced nothing is seen once the list is older than maxAgeMs.
    fleet = [backend('c', [])];
    clock.advance(4999);
    expect((await index.backends('v2')).map((b) => b.id)).toEqual(['a', 'b']);
    clock.advance(1);
    expect((await index.backends('v2')).map((b) => b.id)).toEqual(['c']);
    expect(reads).toBe(3);

    // Redis did not answer: every call reads, and nothing is kept under a version.
    await index.backends(undefined);
    await index.backends(undefined);
    expect(reads).toBe(5);
    await index.backends('v2');
    expect(reads).toBe(6);
  });

  it('ages a list from when its read started, not from its answer', async () => {
    const clock = new ManualClock();
    let reads = 0;
    const index = new FleetIndex({ load: async () => (reads++, clock.advance(3000), [backend('a', [])]), maxAgeMs: 5000, clock });
    await index.backends('v1');
    clock.advance(2000); // 5 s since the read started, 2 s since it answered
    await index.backends('v1');
    expect(reads).toBe(2);
  });

  it('shows the list it keeps, the very array backends() returns while it is current', async () => {
    const clock = new ManualClock();
    let fleet = [backend('a', [])];
    const index = new FleetIndex({ load: async () => fleet, maxAgeMs: 5000, clock });
    expect(index.kept()).toBeNull();
    const first = await index.backends('v1');
    expect(index.kept()).toBe(first);
    expect(await index.backends('v1')).toBe(index.kept());
    fleet = [backend('b', [])];
    const second = await index.backends('v2');
    expect(second).not.toBe(first);
    expect(index.kept()).toBe(second);
    // Read without a version (Redis down): nothing is kept.
    await index.backends(undefined);
    expect(index.kept()).toBeNull();
  });

  it('shares one read among submits that saw the same version, never across versions', async () => {
    let reads = 0;
    const index = new FleetIndex({ load: async () => (reads++, [backend('a', [])]) });
    await Promise.all([index.backends('v1'), index.backends('v1'), index.backends('v1')]);
    expect(reads).toBe(1);
    await Promise.all([index.backends('v2'), index.backends('v3')]);
    expect(reads).toBe(3);
  });

  it('keeps a failed read from being cached and reports it', async () => {
    let fail = true;
    const index = new FleetIndex({ load: async () => (fail ? Promise.reject(new Error('db down')) : [backend('a', [])]) });
    await expect(index.backends('v1')).rejects.toThrow('db down');
    fail = false;
    expect(await index.backends('v1')).toHaveLength(1);
  });

  it('judges 20 backends of 600 node types with the one eligibility rule, from the same lists each time', async () => {
    const types = Array.from({ length: 600 }, (_, i) => `Node${i}`);
    const fleet = Array.from({ length: 20 }, (_, i) => backend(`gpu${i}`, i === 19 ? [...types, 'Rare'] : types));
    const index = new FleetIndex({ load: async () => fleet });
    const backends = await index.backends('v1');
    expect(whyNoBackend({ nodeTypes: ['Node1', 'Rare'] }, backends)).toBeNull();
    expect(whyNoBackend({ nodeTypes: ['Missing'] }, backends)).toEqual([`${fleet.map((b) => b.id).join(', ')}: lacks node types: Missing`]);
  });
});
