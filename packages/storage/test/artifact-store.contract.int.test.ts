import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CopyObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parseEnv, commonEnvSchema } from '@gantry/domain';
import { startS3Server, type TestS3Server } from '@gantry/testing';
import { contentKey, createArtifactStore, presignedLinks, type ArtifactStore } from '@gantry/storage';

/**
 * One contract, two stores: what every ArtifactStore must do, run against the local directory and
 * against a real S3-protocol server (s3rver) through createArtifactStore, as the apps build them.
 */
interface Harness {
  store: ArtifactStore;
  /** Objects left outside the content keys (temporary files or objects, multipart leftovers). */
  leftovers(): Promise<string[]>;
  /** Makes the object look written at `when` (as if long ago). */
  age(key: string, when: Date): Promise<void>;
  close(): Promise<void>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function localHarness(): Promise<Harness> {
  const root = await mkdtemp(path.join(tmpdir(), 'gantry-contract-'));
  const store = createArtifactStore(parseEnv(commonEnvSchema, { GANTRY_ARTIFACT_DIR: root }));
  return {
    store,
    leftovers: async () => readdir(path.join(root, 'tmp')).catch(() => []),
    age: (key, when) => utimes(path.join(root, key), when, when),
    close: () => rm(root, { recursive: true, force: true }),
  };
}

let s3: TestS3Server;

async function s3Harness(): Promise<Harness> {
  const prefix = `p${Math.random().toString(36).slice(2, 8)}/`;
  const env = parseEnv(commonEnvSchema, s3.env(prefix));
  const store = createArtifactStore(env);
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
  return {
    store,
    leftovers: async () => {
      const list = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
      return (list.Contents ?? []).map((o) => o.Key!).filter((k) => !k.startsWith(`${prefix}sha256/`));
    },
    age: async (key, when) => {
      await client.send(new CopyObjectCommand({
        Bucket: s3.bucket, Key: prefix + key, CopySource: `${s3.bucket}/${prefix}${key}`,
        MetadataDirective: 'REPLACE', Metadata: { 'gantry-written-at': when.toISOString() },
      }));
    },
    close: async () => {
      await store.close?.();
      client.destroy();
    },
  };
}

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.close());

describe.each([
  ['local', localHarness],
  ['s3', s3Harness],
] as const)('ArtifactStore contract: %s', (_name, makeHarness) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });
  afterEach(() => h.close());

  it('stores bytes content-addressed and reads them back; equal bytes share one key', async () => {
    const a = await h.store.put(Buffer.from('hello'), { contentType: 'text/plain' });
    const b = await h.store.put(Buffer.from('hello'));
    expect(a).toEqual(b);
    expect(a).toEqual({ key: contentKey(sha(Buffer.from('hello'))), sha256: sha(Buffer.from('hello')), bytes: 5 });
    const { stream, bytes } = await h.store.open(a.key);
    expect(bytes).toBe(5);
    expect((await readAll(stream)).toString()).toBe('hello');
    expect(await h.store.exists(a.key)).toBe(true);
    expect(await h.leftovers()).toEqual([]);
  });

  it('streams a source bigger than one multipart part to the same key as the bytes in memory', async () => {
    // 12 MiB in 64 KiB chunks: the S3 store uploads it in parts (8 MiB each).
    const chunks = Array.from({ length: 192 }, (_, i) => Buffer.alloc(65_536, i));
    const whole = Buffer.concat(chunks);
    const streamed = await h.store.put(Readable.from(chunks));
    expect(streamed).toEqual({ key: contentKey(sha(whole)), sha256: sha(whole), bytes: whole.length });
    expect(await h.store.put(whole)).toEqual(streamed);
    expect(sha(await readAll((await h.store.open(streamed.key)).stream))).toBe(sha(whole));
    expect(await h.leftovers()).toEqual([]);
  });

  it('takes an async iterable of chunks', async () => {
    async function* gen() {
      yield new Uint8Array([1, 2, 3]);
      yield new Uint8Array([4, 5]);
    }
    const stored = await h.store.put(gen());
    expect(stored.bytes).toBe(5);
    expect([...(await readAll((await h.store.open(stored.key)).stream))]).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a stream past maxBytes and stores nothing', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(1000, 7));
    await expect(h.store.put(Readable.from(chunks), { maxBytes: 5000 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await h.store.exists(contentKey(sha(Buffer.concat(chunks))))).toBe(false);
    expect(await h.leftovers()).toEqual([]);
    await expect(h.store.put(Buffer.alloc(5000, 1), { maxBytes: 5000 })).resolves.toMatchObject({ bytes: 5000 });
  });

  it('fails with the source error when the source breaks, and stores nothing', async () => {
    async function* broken() {
      yield Buffer.alloc(1000, 1);
      throw new Error('backend hung up');
    }
    await expect(h.store.put(broken())).rejects.toThrow('backend hung up');
    expect(await h.store.exists(contentKey(sha(Buffer.alloc(1000, 1))))).toBe(false);
    expect(await h.leftovers()).toEqual([]);
  });

  it('never shows a half-written object under its key', async () => {
    const first = Buffer.alloc(100_000, 3);
    const second = Buffer.alloc(100_000, 4);
    const key = contentKey(sha(Buffer.concat([first, second])));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let halfway!: () => void;
    const reachedHalf = new Promise<void>((resolve) => (halfway = resolve));
    async function* slow() {
      yield first;
      halfway();
      await gate;
      yield second;
    }
    const putting = h.store.put(slow());
    await reachedHalf;
    expect(await h.store.exists(key)).toBe(false);
    release();
    expect((await putting).key).toBe(key);
    expect(await h.store.exists(key)).toBe(true);
  });

  it('opens an inclusive byte range and reports the whole size', async () => {
    const { key } = await h.store.put(Buffer.from('0123456789'));
    const { stream, bytes } = await h.store.open(key, { start: 2, end: 5 });
    expect(bytes).toBe(10);
    expect((await readAll(stream)).toString()).toBe('2345');
    const tail = await h.store.open(key, { start: 9, end: 9 });
    expect((await readAll(tail.stream)).toString()).toBe('9');
  });

  it('reports a missing object as NOT_FOUND and deletes idempotently', async () => {
    const { key } = await h.store.put(Buffer.from('x'));
    await h.store.delete(key);
    await h.store.delete(key);
    expect(await h.store.exists(key)).toBe(false);
    await expect(h.store.open(key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses keys that are not content keys', async () => {
    await expect(h.store.open('../../etc/passwd')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(h.store.exists('sha256/../x')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(h.store.delete('tmp/abc')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refreshes the last-written time when equal bytes are stored again', async () => {
    const { key } = await h.store.put(Buffer.from('same'));
    const old = new Date(Date.now() - 3_600_000);
    await h.age(key, old);
    expect((await h.store.lastWrittenAt!(key))!.getTime()).toBeLessThan(Date.now() - 3_000_000);
    await h.store.put(Buffer.from('same'));
    expect((await h.store.lastWrittenAt!(key))!.getTime()).toBeGreaterThan(old.getTime() + 3_000_000);
    await h.store.delete(key);
    expect(await h.store.lastWrittenAt!(key)).toBeNull();
  });
});

describe('S3ArtifactStore specifics', () => {
  it('signs a download URL that serves the bytes with the given name and type', async () => {
    const h = await s3Harness();
    try {
      const { key } = await h.store.put(Buffer.from('signed bytes'), { contentType: 'application/octet-stream' });
      const url = await h.store.presign!(key, { expiresInSec: 60, filename: 'café "1".png', contentType: 'image/png' });
      expect(url.startsWith(`${s3.endpoint}/${s3.bucket}/`)).toBe(true);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-disposition')).toBe(`inline; filename="caf_ _1_.png"; filename*=UTF-8''caf%C3%A9%20%221%22.png`);
      expect(await res.text()).toBe('signed bytes');
      // SigV4 query signing with the expiry asked for (s3rver checks the key id, not the signature).
      expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
      expect(new URL(url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await h.close();
    }
  });

  it('signs for GANTRY_S3_PUBLIC_ENDPOINT when clients reach the bucket elsewhere than the API does', async () => {
    const writer = createArtifactStore(parseEnv(commonEnvSchema, s3.env('public')));
    // The API's own endpoint is an internal name nobody outside could resolve; signing never calls it.
    const signer = createArtifactStore(parseEnv(commonEnvSchema, { ...s3.env('public'), GANTRY_S3_ENDPOINT: 'http://s3.internal.invalid:9000', GANTRY_S3_PUBLIC_ENDPOINT: s3.endpoint }));
    try {
      const { key } = await writer.put(Buffer.from('public bytes'));
      const url = await signer.presign!(key, { expiresInSec: 60 });
      expect(url.startsWith(`${s3.endpoint}/${s3.bucket}/public/`)).toBe(true);
      expect(url).not.toContain('internal');
      expect(await (await fetch(url)).text()).toBe('public bytes');
    } finally {
      await signer.close?.();
      await writer.close?.();
    }
  });

  it('presignedLinks signs every object at one instant and says when each URL expires', async () => {
    const h = await s3Harness();
    try {
      const a = await h.store.put(Buffer.from('first'));
      const b = await h.store.put(Buffer.from('second'));
      const now = new Date('2030-01-02T03:04:05.678Z');
      const objects = [
        { id: 'a', storageKey: a.key, filename: 'a.png', contentType: 'image/png' },
        { id: 'b', storageKey: b.key, filename: 'b.txt', contentType: 'text/plain' },
      ];
      const links = (await presignedLinks(h.store, objects, { ttlSec: 900 }, { now }))!;
      expect([...links.keys()]).toEqual(['a', 'b']);
      for (const link of links.values()) {
        expect(link.expiresAt.toISOString()).toBe('2030-01-02T03:19:05.000Z');
        const params = new URL(link.url).searchParams;
        expect(params.get('X-Amz-Date')).toBe('20300102T030405Z');
        expect(params.get('X-Amz-Expires')).toBe('900');
      }
      // Off, or nothing to sign: no links at all, so views carry none.
      expect(await presignedLinks(h.store, objects, null)).toBeUndefined();
      expect(await presignedLinks(h.store, [], { ttlSec: 900 })).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it('check() passes on a reachable bucket and says why it fails otherwise (never where)', async () => {
    const h = await s3Harness();
    await expect(h.store.check!()).resolves.toBeUndefined();
    await h.close();
    const missing = createArtifactStore(parseEnv(commonEnvSchema, { ...s3.env(), GANTRY_S3_BUCKET: 'no-such-bucket' }));
    await expect(missing.check!()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('bucket not found') });
    await missing.close?.();
    const wrongKey = createArtifactStore(parseEnv(commonEnvSchema, { ...s3.env(), GANTRY_S3_ACCESS_KEY_ID: 'NOT-A-KEY' }));
    await expect(wrongKey.check!()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('access denied') });
    await wrongKey.close?.();
    const down = await startS3Server();
    const env = down.env();
    await down.close();
    const refused = createArtifactStore(parseEnv(commonEnvSchema, env));
    const err = await refused.check!().then(() => null, (e: Error) => e);
    expect(err).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('connection refused') });
    expect(err!.message).not.toContain('127.0.0.1');
    await refused.close?.();
  });

  it('describes itself without credentials or endpoint', () => {
    const store = createArtifactStore(parseEnv(commonEnvSchema, s3.env('gantry')));
    expect(store.describe()).toBe(`s3:${s3.bucket}/gantry/`);
    void store.close?.();
  });
});
