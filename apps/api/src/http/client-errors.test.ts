import { gzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { AppError } from '@gantry/domain';
import { clientErrorProblem } from './client-errors';
import { jsonBody } from './json-body';
import { isDecodablePath } from './path-guard';

/** The code (or null) clientErrorProblem gives the error the real body parser raises for a request. */
async function bodyParserCode(headers: Record<string, string>, body: Buffer | string): Promise<string | null> {
  let seen: unknown;
  const app = express();
  app.use(jsonBody({ limit: '1kb', maxDepth: 4 }));
  app.post('/', (_req, res) => {
    res.status(204).end();
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    seen = err;
    res.status(599).end();
  });
  // serialize: the bytes as they are (superagent would JSON-encode a Buffer sent as application/json).
  const res = await request(app).post('/').set(headers).serialize((b: unknown) => b as string).send(body as string);
  if (res.status === 204) return 'accepted';
  return clientErrorProblem(seen)?.code ?? null;
}

describe('clientErrorProblem, on the errors the body parser really raises', () => {
  const json = { 'content-type': 'application/json' };

  it('maps broken and unsupported content codings', async () => {
    expect(await bodyParserCode({ ...json, 'content-encoding': 'gzip' }, gzipSync('{"a":1}'))).toBe('accepted');
    for (const coding of ['gzip', 'deflate', 'br']) {
      expect(await bodyParserCode({ ...json, 'content-encoding': coding }, 'not compressed')).toBe('MALFORMED_CONTENT_ENCODING');
    }
    expect(await bodyParserCode({ ...json, 'content-encoding': 'gzip' }, gzipSync('{"a":1}').subarray(0, 12))).toBe('MALFORMED_CONTENT_ENCODING');
    expect(await bodyParserCode({ ...json, 'content-encoding': 'compress' }, '{}')).toBe('UNSUPPORTED_CONTENT_ENCODING');
    expect(await bodyParserCode({ ...json, 'content-encoding': 'gzip, gzip' }, '{}')).toBe('UNSUPPORTED_CONTENT_ENCODING');
  });

  it('takes valid UTF-8 only', async () => {
    for (const bytes of [[0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80]]) {
      const body = Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')]);
      expect({ bytes, code: await bodyParserCode({ 'content-type': 'application/json' }, body) }).toEqual({ bytes, code: 'MALFORMED_JSON' });
    }
    expect(await bodyParserCode({ 'content-type': 'application/json; charset=UTF-8' }, '{"a":"ü"}')).toBe('accepted');
    for (const charset of ['utf-7', 'utf-16le', 'utf-16', 'utf-32', 'latin1', 'x-unknown']) {
      expect({ charset, code: await bodyParserCode({ 'content-type': `application/json; charset=${charset}` }, '{}') }).toEqual({ charset, code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
  });

  it('maps malformed, oversized and too deep bodies', async () => {
    expect(await bodyParserCode(json, '{"a":')).toBe('MALFORMED_JSON');
    expect(await bodyParserCode(json, '"a string"')).toBe('MALFORMED_JSON');
    expect(await bodyParserCode(json, JSON.stringify({ a: 'x'.repeat(2000) }))).toBe('PAYLOAD_TOO_LARGE');
    expect(await bodyParserCode({ ...json, 'content-encoding': 'gzip' }, gzipSync(JSON.stringify({ a: 'x'.repeat(100_000) })))).toBe('PAYLOAD_TOO_LARGE');
    expect(await bodyParserCode(json, '[[[[[1]]]]]')).toBe('JSON_TOO_DEEP');
  });

  it('maps path decoding errors and generic client errors of HTTP libraries, and nothing else', () => {
    let uriError: unknown;
    try {
      decodeURIComponent('%ff');
    } catch (err) {
      uriError = err;
    }
    expect(clientErrorProblem(uriError)?.code).toBe('MALFORMED_URI');
    const httpError = (status: number) => Object.assign(new Error('x'), { status, expose: status < 500 });
    expect(clientErrorProblem(httpError(400))?.code).toBe('BAD_REQUEST');
    expect(clientErrorProblem(httpError(404))?.code).toBe('NOT_FOUND');
    expect(clientErrorProblem(httpError(412))?.code).toBe('PRECONDITION_FAILED');
    expect(clientErrorProblem(httpError(415))?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // The server's own failures stay the server's.
    expect(clientErrorProblem(httpError(500))).toBeNull();
    expect(clientErrorProblem(new TypeError('x'))).toBeNull();
    expect(clientErrorProblem(new AppError('INTERNAL', 'x'))).toBeNull();
    expect(clientErrorProblem(Object.assign(new Error('stream'), { type: 'stream.not.readable', status: 500 }))).toBeNull();
  });
});

describe('isDecodablePath', () => {
  it('refuses malformed and non-UTF-8 %-escapes', () => {
    expect(isDecodablePath('/api/v1/jobs/%F0%9F%8E%A8/x%20y')).toBe(true);
    for (const path of ['/%ff', '/api-keys/%e0%80%af', '/%', '/%2', '/%zz', '/a%ed%a0%80b', '/%c0%af']) {
      expect({ path, ok: isDecodablePath(path) }).toEqual({ path, ok: false });
    }
  });
});
