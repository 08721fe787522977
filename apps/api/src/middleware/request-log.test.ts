import express from 'express';
import request from 'supertest';
import { createLogger } from '@gantry/logger';
import { logAt, logBindings, requestLog } from './request-log.js';

/** An app logging into `lines` at `level`: a route that logs, one answering 404, one answering 500. */
function app(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ name: 'test', level, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const a = express();
  a.use(requestLog(logger));
  a.use((req, _res, next) => {
    logBindings(req, { tenant: 'acme', keyId: 'k1' });
    next();
  });
  a.get('/ok', (req, res) => {
    req.log.info({ a: 1 }, 'hello');
    res.json({ ok: true });
  });
  a.get('/missing', (_req, res) => {
    res.status(404).json({});
  });
  a.get('/boom', (_req, res) => {
    res.status(500).end();
  });
  return { app: a, lines };
}

/** Waits for the end-of-request line (written as the response ends, maybe after the client has it). */
async function settle(lines: unknown[], count: number): Promise<void> {
  for (let i = 0; i < 100 && lines.length < count; i++) await new Promise((r) => setImmediate(r));
}

describe('requestLog', () => {
  it('binds req to every line, the caller to the handler lines, and ends each request with one line at its level', async () => {
    const { app: a, lines } = app('debug');
    const ok = await request(a).get('/ok?x=1').set('X-Request-Id', 'rid-1');
    expect(ok.headers['x-request-id']).toBe('rid-1');
    await settle(lines, 2);
    const req = { id: 'rid-1', method: 'GET', url: '/ok?x=1', ip: expect.any(String) as unknown };
    expect(lines[0]).toMatchObject({ level: 'info', req, tenant: 'acme', keyId: 'k1', a: 1, msg: 'hello' });
    expect(lines[1]).toMatchObject({ level: 'debug', req, res: { statusCode: 200 }, responseTime: expect.any(Number) as unknown, msg: 'request completed' });
    expect(lines[1]).not.toHaveProperty('tenant');

    await request(a).get('/missing').set('X-Request-Id', 'rid-2');
    await settle(lines, 3);
    expect(lines[2]).toMatchObject({ level: 'info', req: { id: 'rid-2', url: '/missing' }, res: { statusCode: 404 }, msg: 'request completed' });

    await request(a).get('/boom').set('X-Request-Id', 'rid-3');
    await settle(lines, 4);
    expect(lines[3]).toMatchObject({ level: 'error', req: { id: 'rid-3' }, res: { statusCode: 500 }, err: { message: 'failed with status code 500' }, msg: 'request errored' });
  });

  it('writes no line below the level, and a made-up id when the incoming one is malformed', async () => {
    const { app: a, lines } = app('warn');
    const res = await request(a).get('/ok').set('X-Request-Id', 'bad id with spaces');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await request(a).get('/missing');
    await settle(lines, 1);
    expect(lines).toEqual([]);
  });

  it('logAt builds no logger below its level, and one child for the request and all its bindings above it', async () => {
    for (const [level, lines, children] of [
      ['warn', 0, 0],
      ['info', 1, 1], // one child for the request and both bindings
    ] as const) {
      const written: Record<string, unknown>[] = [];
      const logger = createLogger({ name: 'test', level, destination: { write: (line: string) => void written.push(JSON.parse(line) as Record<string, unknown>) } });
      const a = express();
      a.use(requestLog(logger));
      const child = jest.spyOn(logger, 'child'); // children of children resolve `child` to this one
      a.use((req, _res, next) => {
        logBindings(req, { tenant: 'acme' });
        logBindings(req, { keyId: 'k1' });
        next();
      });
      a.get('/hot', (req, res) => {
        logAt(req, 'info')?.info({ b: 2 }, 'hot line');
        res.json({ ok: true });
      });
      await request(a).get('/hot');
      await settle(written, lines);
      expect(written).toHaveLength(lines);
      if (lines) expect(written[0]).toMatchObject({ level: 'info', req: { method: 'GET', url: '/hot' }, tenant: 'acme', keyId: 'k1', b: 2, msg: 'hot line' });
      expect(child).toHaveBeenCalledTimes(children);
    }
  });
});
