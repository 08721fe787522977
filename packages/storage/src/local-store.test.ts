import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readdir } from 'node:fs/promises';
import { LocalArtifactStore } from './local-store';
import { contentTypeFor } from './content-type';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

describe('LocalArtifactStore', () => {
  let root: string;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gantry-store-'));
    store = new LocalArtifactStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stores bytes content-addressed and reads them back', async () => {
    const a = await store.put(Buffer.from('hello'));
    const b = await store.put(Buffer.from('hello'));
    expect(a).toEqual(b);
    expect(a.bytes).toBe(5);
    expect(a.key).toMatch(/^sha256\/2c\/2cf24dba/);
    const { stream, bytes } = await store.open(a.key);
    expect(bytes).toBe(5);
    expect((await readAll(stream)).toString()).toBe('hello');
  });

  it('refuses keys that could escape the root', async () => {
    await expect(store.open('../../etc/passwd')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(store.exists('sha256/../x')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('reports a missing object as NOT_FOUND and deletes idempotently', async () => {
    const { key } = await store.put(Buffer.from('x'));
    await store.delete(key);
    await store.delete(key);
    await expect(store.open(key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refreshes the last-written time when equal bytes are stored again', async () => {
    const { key } = await store.put(Buffer.from('same'));
    const old = new Date(Date.now() - 3_600_000);
    await utimes(path.join(root, key), old, old);
    expect((await store.lastWrittenAt(key))!.getTime()).toBeLessThan(Date.now() - 3_000_000);
    await store.put(Buffer.from('same'));
    expect((await store.lastWrittenAt(key))!.getTime()).toBeGreaterThan(old.getTime() + 3_000_000);
    await store.delete(key);
    expect(await store.lastWrittenAt(key)).toBeNull();
  });

  it('streams a source in chunks to the same key as the bytes in memory', async () => {
    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16_384, i));
    const streamed = await store.put(Readable.from(chunks));
    const whole = await store.put(Buffer.concat(chunks));
    expect(streamed).toEqual(whole);
    expect(streamed.bytes).toBe(64 * 16_384);
  });

  it('refuses a stream past maxBytes and stores nothing', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(1000, 7));
    await expect(store.put(Readable.from(chunks), { maxBytes: 5000 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
    await expect(store.put(Buffer.alloc(5000, 1), { maxBytes: 5000 })).resolves.toMatchObject({ bytes: 5000 });
  });

  it('opens an inclusive byte range and reports the whole size', async () => {
    const { key } = await store.put(Buffer.from('0123456789'));
    const { stream, bytes } = await store.open(key, { start: 2, end: 5 });
    expect(bytes).toBe(10);
    expect((await readAll(stream)).toString()).toBe('2345');
  });

  it('maps file names to content types', () => {
    expect(contentTypeFor('a.PNG')).toBe('image/png');
    expect(contentTypeFor('clip.webm')).toBe('video/webm');
    expect(contentTypeFor('weird.bin')).toBe('application/octet-stream');
  });

  it('makes its directories once, and again when they were removed since', async () => {
    const first = await store.put(Buffer.from('one'));
    await rm(path.join(root, 'tmp'), { recursive: true });
    await rm(path.dirname(path.join(root, first.key)), { recursive: true });
    const again = await store.put(Buffer.from('one'));
    expect(again).toEqual(first);
    const { stream } = await store.open(again.key);
    expect((await readAll(stream)).toString()).toBe('one');
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('does not put a source that fails to be read again', async () => {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('gone'), { code: 'ENOENT', syscall: 'open', path: '/nowhere' }));
      },
    });
    await store.put(Buffer.from('warm')); // its directories are made
    await expect(store.put(failing)).rejects.toThrow('gone');
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });
});
