import type { BackendRecord } from './backend-record';
import { recordFromRow } from './backend-record';
import { FleetRegistry } from './fleet-registry';
import type { RegistryChange } from './registry-diff';

function rec(id: string, extra: Partial<BackendRecord> = {}): BackendRecord {
  return { id, kind: 'comfyui', url: `http://127.0.0.1/${id}`, capacity: 1, tags: [], draining: false, info: null, ...extra };
}

describe('FleetRegistry', () => {
  it('serves the backends whose tags cover the worker tags, sorted, and reports changes', async () => {
    let rows = [rec('b', { tags: ['node1', 'sdxl'] }), rec('a', { tags: ['node1'] }), rec('c', { tags: ['node2'] })];
    const registry = new FleetRegistry({ source: { list: async () => rows }, workerTags: ['node1'] });
    const changes: RegistryChange[] = [];
    registry.onChange((c) => changes.push(c));
    await registry.start();
    await registry.stop();
    expect(registry.current().map((r) => r.id)).toEqual(['a', 'b']);
    expect(changes[0]!.added.map((r) => r.id)).toEqual(['a', 'b']);

    rows = [rec('a', { tags: ['node1'], capacity: 4 }), rec('d', { tags: ['node1'] }), rec('c', { tags: ['node2', 'node1'] })];
    const change = await registry.refresh();
    expect(change.added.map((r) => r.id)).toEqual(['c', 'd']);
    expect(change.removed.map((r) => r.id)).toEqual(['b']);
    expect(change.changed.map((r) => r.id)).toEqual(['a']);
    expect(registry.get('a')!.capacity).toBe(4);
    expect(changes).toHaveLength(2);

    // Learned info alone is not a change worth reporting, but the record is updated.
    rows = rows.map((r) => (r.id === 'a' ? { ...r, info: { version: '1' } } : r));
    expect(await registry.refresh()).toEqual({ added: [], removed: [], changed: [] });
    expect(registry.get('a')!.info).toEqual({ version: '1' });
    expect(changes).toHaveLength(2);
  });

  it('reports a drain as a change', async () => {
    let rows = [rec('a')];
    const registry = new FleetRegistry({ source: { list: async () => rows } });
    await registry.refresh();
    rows = [rec('a', { draining: true })];
    expect((await registry.refresh()).changed).toHaveLength(1);
  });

  it('keeps the last list when a read fails, but fails a first start', async () => {
    let fail = false;
    const registry = new FleetRegistry({
      source: {
        list: async () => {
          if (fail) throw new Error('db down');
          return [rec('a')];
        },
      },
    });
    await registry.refresh();
    fail = true;
    await registry.refresh();
    expect(registry.current().map((r) => r.id)).toEqual(['a']);
    await expect(new FleetRegistry({ source: { list: () => Promise.reject(new Error('no')) } }).start()).rejects.toThrow('no');
  });

  it('shares one read between concurrent refreshes', async () => {
    let reads = 0;
    const registry = new FleetRegistry({ source: { list: async () => (reads++, [rec('a')]) } });
    await Promise.all([registry.refresh(), registry.refresh(), registry.refresh()]);
    expect(reads).toBe(1);
  });

  it('maps database rows, reading info defensively', () => {
    const r = recordFromRow({ id: 'x', kind: 'a1111', url: 'http://h', capacity: 2, tags: ['t'], draining: true, info: { version: 3, nodeTypes: ['A', 1], vramTotalMb: 100 } });
    expect(r).toEqual({ id: 'x', kind: 'a1111', url: 'http://h', capacity: 2, tags: ['t'], draining: true, info: { nodeTypes: ['A'], vramTotalMb: 100 } });
    expect(recordFromRow({ ...r, info: 'junk' }).info).toBeNull();
    const models = recordFromRow({ ...r, info: { models: { checkpoint: ['a', 2], lora: 'x', embedding: ['e'] }, modelAliases: { t: 'a', n: 1 } } }).info;
    expect(models).toEqual({ models: { checkpoint: ['a'] }, modelAliases: { t: 'a' } });
  });
});
