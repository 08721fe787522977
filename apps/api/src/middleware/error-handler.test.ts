import express from 'express';
import request from 'supertest';
import { Prisma } from '@gantry/db';
import { AppError } from '@gantry/domain';
import { createLogger, silentLogger, type Logger } from '@gantry/logger';
import { DATABASE_RETRY_AFTER_SECONDS, errorHandler, QUEUE_RETRY_AFTER_SECONDS } from './error-handler.js';
import { requestLog } from './request-log.js';

/** An app whose one route throws `err`, answered by the real error handler. */
function throwing(err: unknown, logger: Logger = silentLogger()) {
  const app = express();
  app.use(requestLog(logger));
  app.get('/x', () => {
    throw err;
  });
  app.use(errorHandler);
  return app;
}

/** Prisma 7 + adapter-pg's error for a refused connection (captured; see @gantry/db transient tests). */
const refused = new Prisma.PrismaClientKnownRequestError("Invalid `prisma.job.findMany()` invocation: Can't reach database server at db.internal:5432", {
  code: 'P1001',
  clientVersion: '7.10.1',
  meta: { modelName: 'Job', driverAdapterError: Object.assign(new Error('DatabaseNotReachable'), { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable', host: 'db.internal', port: 5432 } }) },
});

describe('errorHandler and the database', () => {
  it('answers a transient database error with 503 DATABASE_UNAVAILABLE, Retry-After and no internals', async () => {
    const res = await request(throwing(refused)).get('/x');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
    expect(JSON.parse(res.text)).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503, title: 'Database unavailable' });
    expect(res.text).not.toMatch(/db\.internal|5432|invocation|Prisma/);
  });

  it('also when an INTERNAL AppError or a plain Error carries it as cause', async () => {
    const internal = new AppError('INTERNAL', 'listing failed', { cause: refused });
    expect((await request(throwing(internal)).get('/x')).status).toBe(503);
    const wrapped = new Error('repository failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }) });
    expect((await request(throwing(wrapped)).get('/x')).status).toBe(503);
  });

  it('leaves AppErrors with their own code, other errors and aborted uploads alone', async () => {
    const queueDown = new AppError('SERVICE_UNAVAILABLE', 'The job queue is unavailable', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const queue = await request(throwing(queueDown)).get('/x');
    expect(JSON.parse(queue.text).code).toBe('SERVICE_UNAVAILABLE');
    expect(queue.headers['retry-after']).toBeUndefined();

    const unique = new Prisma.PrismaClientKnownRequestError('Unique constraint failed', { code: 'P2002', clientVersion: '7.10.1' });
    const conflict = await request(throwing(unique)).get('/x');
    expect(conflict.status).toBe(500);
    expect(JSON.parse(conflict.text).code).toBe('INTERNAL');

    // raw-body marks an aborted upload with a socket code; it is the client's doing, not the database's.
    const aborted = Object.assign(new Error('request aborted'), { code: 'ECONNABORTED', type: 'request.aborted', status: 400 });
    expect(JSON.parse((await request(throwing(aborted)).get('/x')).text).code).toBe('BAD_REQUEST');
  });
});

/** A logger whose JSON lines are kept, to see what a request wrote. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ name: 'test', level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { logger, lines };
}

/** Prisma 7 + adapter-pg's error for a U+0000 in a text column (captured; see @gantry/db invalid-data tests). */
const nulInText = new Prisma.PrismaClientKnownRequestError('Invalid `prisma.tenant.create()` invocation: Database error. Code: `22021`. Message: `invalid byte sequence for encoding "UTF8": 0x00`', {
  code: 'P2039',
  clientVersion: '7.10.1',
  meta: { driverAdapterError: Object.assign(new Error('invalid byte sequence'), { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '22021', originalCode: '22021' } }) },
});

describe('errorHandler and malformed requests', () => {
  it('answers a value the database refused with 422 UNSTORABLE_VALUE and a warning without a stack', async () => {
    const { logger, lines } = capturingLogger();
    const res = await request(throwing(nulInText, logger)).get('/x');
    expect(res.status).toBe(422);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'UNSTORABLE_VALUE', status: 422 });
    expect(res.text).not.toMatch(/prisma|0x00|22021/i);
    const warning = lines.find((l) => l.msg === 'the database refused a value that validation let through');
    expect(warning).toMatchObject({ level: 'warn', reason: 'invalid byte sequence (SQLSTATE 22021)' });
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
  });

  it('answers a broken body coding with 400 and an unknown one with 415 and Accept-Encoding, logging no error', async () => {
    const { logger, lines } = capturingLogger();
    const zlibError = Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR', errno: -3, status: 400, expose: true });
    expect(JSON.parse((await request(throwing(zlibError, logger)).get('/x')).text).code).toBe('MALFORMED_CONTENT_ENCODING');
    const unsupported = Object.assign(new Error('unsupported content encoding "compress"'), { type: 'encoding.unsupported', status: 415, expose: true });
    const res = await request(throwing(unsupported, logger)).get('/x');
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text).code).toBe('UNSUPPORTED_CONTENT_ENCODING');
    expect(res.headers['accept-encoding']).toMatch(/^gzip, deflate, br/);
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
  });

  it('keeps the 500 and its logged stack for what is the server\'s fault', async () => {
    const { logger, lines } = capturingLogger();
    const res = await request(throwing(new TypeError('cannot read x of undefined'), logger)).get('/x');
    expect(res.status).toBe(500);
    expect(lines.some((l) => l.level === 'error' && JSON.stringify(l).includes('"stack"'))).toBe(true);
  });
});

describe('errorHandler and Redis', () => {
  it('answers Redis being unavailable with 503 QUEUE_UNAVAILABLE and Retry-After, not DATABASE_UNAVAILABLE', async () => {
    for (const err of [
      new Error('Command timed out'),
      new Error('Connection is closed.'),
      new AppError('INTERNAL', 'health read failed', { cause: Object.assign(new Error('Reached the max retries per request limit (which is 0).'), { name: 'MaxRetriesPerRequestError' }) }),
      new Error('LOADING Redis is loading the dataset in memory'),
    ]) {
      const res = await request(throwing(err)).get('/x');
      expect({ message: err.message, status: res.status, code: JSON.parse(res.text).code, retryAfter: res.headers['retry-after'] }).toEqual({
        message: err.message,
        status: 503,
        code: 'QUEUE_UNAVAILABLE',
        retryAfter: String(QUEUE_RETRY_AFTER_SECONDS),
      });
      expect(res.text).not.toMatch(/timed out|closed|max retries|LOADING/);
    }
  });
});
