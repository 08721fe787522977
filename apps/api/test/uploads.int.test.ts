import { readdir, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { apiClient, startStack, type TestStack } from '@gantry/testing';
import { jpeg, png, webp } from './images';

const MAX_BYTES = 300_000;
const MAX_PIXELS = 4_000_000;

/** Files under the store's content-addressed folders (temporary spool files excluded). */
async function blobs(root: string): Promise<string[]> {
  const dir = path.join(root, 'sha256');
  const out: string[] = [];
  for (const sub of await readdir(dir).catch(() => [] as string[])) {
    for (const f of await readdir(path.join(dir, sub))) out.push(path.join(dir, sub, f));
  }
  return out;
}

/** POST /uploads with raw bytes (streamed in chunks, without Content-Length, when `chunked`). */
async function uploadRaw(stack: TestStack, key: string, bytes: Buffer, contentType = 'application/octet-stream', chunked = false) {
  const body = chunked
    ? new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 16_384) controller.enqueue(bytes.subarray(i, i + 16_384));
          controller.close();
        },
      })
    : bytes;
  const res = await fetch(`${stack.url}/api/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body,
    ...(chunked ? { duplex: 'half' } : {}),
  } as RequestInit);
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('uploads', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let otherKey: string;
  let other: ReturnType<typeof apiClient>;
  const countRows = async () => Number((await stack.apiResources.deps.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM uploads`)[0]!.n);

  beforeAll(async () => {
    stack = await startStack({ worker: false, gpus: 0, apiEnv: { GANTRY_UPLOAD_MAX_BYTES: String(MAX_BYTES), GANTRY_UPLOAD_MAX_PIXELS: String(MAX_PIXELS) } });
    admin = apiClient(stack.url, stack.adminKey);
    otherKey = (await admin('POST', '/api/v1/api-keys', { tenant: 'other', scopes: ['read', 'submit'] })).body.key;
    other = apiClient(stack.url, otherKey);
  });
  afterAll(() => stack.close());

  it('stores a raw PNG body, answers its metadata, serves its bytes; the same bytes again are the same upload', async () => {
    const bytes = png(32, 24);
    const first = await uploadRaw(stack, stack.adminKey, bytes, 'image/png');
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/api/v1/uploads/${first.body.id}`);
    expect(first.body).toMatchObject({ contentType: 'image/png', bytes: bytes.length, width: 32, height: 24, url: `/api/v1/uploads/${first.body.id}/content` });
    expect(first.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(first.body.createdAt)).not.toBeNaN();

    const again = await uploadRaw(stack, stack.adminKey, bytes, 'application/octet-stream');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    expect((await admin('GET', `/api/v1/uploads/${first.body.id}`)).body).toEqual(first.body);
    const content = await admin('GET', first.body.url);
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(Buffer.compare(content.body as Buffer, bytes)).toBe(0);
    expect(content.headers.get('etag')).toBe(`"${first.body.sha256}"`);

    // Served like an artifact (sendStoredObject): a byte range, a matching ETag, a range past the end.
    const get = (headers: Record<string, string>) => fetch(`${stack.url}${first.body.url}`, { headers: { authorization: `Bearer ${stack.adminKey}`, ...headers } });
    const part = await get({ range: 'bytes=0-7' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-7/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(0, 8));
    const unchanged = await get({ 'if-none-match': `"${first.body.sha256}"` });
    expect(unchanged.status).toBe(304);
    const outside = await get({ range: `bytes=${bytes.length + 10}-` });
    expect(outside.status).toBe(416);
    expect(((await outside.json()) as { code: string }).code).toBe('RANGE_NOT_SATISFIABLE');
  });

  it('takes the first file of a multipart body and reads the type from the bytes, not the name or part type', async () => {
    const form = new FormData();
    form.append('note', 'ignored');
    form.append('file', new Blob([jpeg(640, 480, 70_000)], { type: 'image/png' }), 'photo.png');
    const res = await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}` }, body: form });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ contentType: 'image/jpeg', width: 640, height: 480 });
    const w = await uploadRaw(stack, stack.adminKey, webp(300, 200), 'image/png');
    expect(w.body).toMatchObject({ contentType: 'image/webp', width: 300, height: 200 });
  });

  it('keeps tenants apart: another tenant gets its own upload of equal bytes, and 404 for ours', async () => {
    const bytes = png(8, 8, [1, 2, 3]);
    const mine = (await uploadRaw(stack, stack.adminKey, bytes)).body;
    const theirs = await uploadRaw(stack, otherKey, bytes);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.id);
    expect(theirs.body.sha256).toBe(mine.sha256);
    for (const [method, p] of [['GET', `/api/v1/uploads/${mine.id}`], ['GET', `/api/v1/uploads/${mine.id}/content`], ['DELETE', `/api/v1/uploads/${mine.id}`]] as const) {
      const res = await other(method, p);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect((await admin('GET', '/api/v1/uploads/not-a-uuid')).status).toBe(404);
    expect((await admin('GET', '/api/v1/uploads/019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01')).status).toBe(404);
  });

  describe('refused uploads store nothing', () => {
    let rowsBefore: number;
    let blobsBefore: string[];
    beforeEach(async () => {
      rowsBefore = await countRows();
      blobsBefore = await blobs(stack.artifactDir);
    });
    afterEach(async () => {
      expect(await countRows()).toBe(rowsBefore);
      expect(await blobs(stack.artifactDir)).toEqual(blobsBefore);
      expect(await readdir(path.join(stack.artifactDir, 'tmp')).catch(() => [])).toEqual([]);
    });

    it.each([
      ['a GIF sent as image/png', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 415, 'IMAGE_TYPE_UNSUPPORTED'],
      ['text', Buffer.from('definitely not an image'), 415, 'IMAGE_TYPE_UNSUPPORTED'],
      ['an empty body', Buffer.alloc(0), 415, 'IMAGE_TYPE_UNSUPPORTED'],
      ['a truncated PNG', png(64, 64).subarray(0, 80), 422, 'IMAGE_CORRUPT'],
      ['a truncated JPEG', jpeg(64, 64).subarray(0, 150), 422, 'IMAGE_CORRUPT'],
      ['a truncated WebP', webp(64, 64).subarray(0, 40), 422, 'IMAGE_CORRUPT'],
      ['a PNG bomb (100000x100000 in its header)', png(2, 2, [0, 0, 0], { width: 100_000, height: 100_000 }), 422, 'IMAGE_TOO_MANY_PIXELS'],
      ['a JPEG over the pixel ceiling', jpeg(4000, 4000), 422, 'IMAGE_TOO_MANY_PIXELS'],
    ])('%s', async (_what, bytes, status, code) => {
      const res = await uploadRaw(stack, stack.adminKey, bytes as Buffer, 'image/png');
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe(code);
    });

    it('a body over GANTRY_UPLOAD_MAX_BYTES, declared or streamed without a length', async () => {
      const big = Buffer.concat([png(64, 64), Buffer.alloc(MAX_BYTES)]);
      const declared = await uploadRaw(stack, stack.adminKey, big, 'image/png');
      expect(declared.status).toBe(413);
      expect(declared.body.code).toBe('UPLOAD_TOO_LARGE');
      const streamed = await uploadRaw(stack, stack.adminKey, big, 'image/png', true);
      expect(streamed.status).toBe(413);
      expect(streamed.body.code).toBe('UPLOAD_TOO_LARGE');
    });

    it('a multipart body without a file part', async () => {
      const form = new FormData();
      form.append('note', 'no file here');
      const res = await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}` }, body: form });
      expect(res.status).toBe(400);
    });
  });

  it('needs the submit scope to upload or delete', async () => {
    const readKey = (await admin('POST', '/api/v1/api-keys', { tenant: 'other', scopes: ['read'] })).body.key;
    expect((await uploadRaw(stack, readKey, png(4, 4))).status).toBe(403);
  });

  it('deletes an upload and, when nothing else references it, its blob', async () => {
    const bytes = png(16, 16, [9, 9, 9]);
    const up = (await uploadRaw(stack, stack.adminKey, bytes)).body;
    const blob = path.join(stack.artifactDir, 'sha256', up.sha256.slice(0, 2), up.sha256);
    const old = new Date(Date.now() - 3_600_000); // written long ago: no concurrent upload of these bytes
    await utimes(blob, old, old);
    const res = await admin('DELETE', `/api/v1/uploads/${up.id}`);
    expect(res.status).toBe(204);
    expect((await admin('GET', `/api/v1/uploads/${up.id}`)).status).toBe(404);
    await expect(stat(blob)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await admin('DELETE', `/api/v1/uploads/${up.id}`)).status).toBe(404);
  });

  it('keeps a blob another tenant\'s upload still references', async () => {
    const bytes = png(16, 16, [7, 7, 7]);
    const mine = (await uploadRaw(stack, stack.adminKey, bytes)).body;
    await uploadRaw(stack, otherKey, bytes);
    const blob = path.join(stack.artifactDir, 'sha256', mine.sha256.slice(0, 2), mine.sha256);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(blob, old, old);
    expect((await admin('DELETE', `/api/v1/uploads/${mine.id}`)).status).toBe(204);
    expect((await stat(blob)).size).toBe(bytes.length);
  });
});
