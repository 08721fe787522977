import express from 'express';
import { pinoHttp } from 'pino-http';
import request from 'supertest';
import { Prisma } from '@gantry/db';
import { AppError } from '@gantry/domain';
import { silentLogger } from '@gantry/logger';
import { DATABASE_RETRY_AFTER_SECONDS, errorHandler } from './error-handler.js';

/** An app whose one route throws `err`, answered by the real error handler. */
function throwing(err: unknown) {
  const app = express();
  app.use(pinoHttp({ logger: silentLogger() }));
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
