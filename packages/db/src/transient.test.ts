import { Prisma } from './generated/client.js';
import { dbErrorReason, isTransientDbError, transientReason, withDbRetry } from './transient.js';

/** @prisma/driver-adapter-utils' DriverAdapterError: an Error named so, its payload as `cause`. */
function adapterError(cause: Record<string, unknown>): Error {
  const err = new Error(typeof cause.message === 'string' ? cause.message : String(cause.kind));
  err.name = 'DriverAdapterError';
  return Object.assign(err, { cause });
}

const known = (code: string, message: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: '7.10.1', ...(meta ? { meta } : {}) });

/** A node socket error as net/pg raise it. */
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 10.1.2.3:5432`), { code, errno: -111, syscall: 'connect', address: '10.1.2.3', port: 5432 });

/** A PostgreSQL error as node-postgres raises it (pg's DatabaseError fields). */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL', name: 'error' });

// Shapes captured from Prisma 7.10.1 + adapter-pg against a real server (see transient.int.test.ts,
// which asserts the live errors), rebuilt here so every branch is tested without a server.
const captured = {
  refusedModel: known('P1001', "Invalid `prisma.tenant.findFirst()` invocation: Can't reach database server at 127.0.0.1:1", {
    modelName: 'Tenant',
    driverAdapterError: adapterError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 }),
  }),
  refusedRaw: known('P2010', "Raw query failed. Code: `N/A`. Message: `Can't reach database server at 127.0.0.1:1`", {
    driverAdapterError: adapterError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 }),
  }),
  terminatedRaw: known('P2010', 'Raw query failed. Code: `57P01`. Message: `terminating connection due to administrator command`', {
    driverAdapterError: adapterError({
      originalCode: '57P01',
      originalMessage: 'terminating connection due to administrator command',
      kind: 'postgres',
      code: '57P01',
      severity: 'FATAL',
      message: 'terminating connection due to administrator command',
    }),
  }),
  uniqueViolation: known('P2002', 'Unique constraint failed on the constraint: `jobs_tenant_id_idempotency_key_key`', {
    modelName: 'Job',
    driverAdapterError: adapterError({ kind: 'UniqueConstraintViolation', constraint: { index: 'jobs_tenant_id_idempotency_key_key' }, table: 'jobs' }),
  }),
};

describe('isTransientDbError', () => {
  it('accepts the errors captured from real outages', () => {
    expect(transientReason(captured.refusedModel)).toBe('server unreachable');
    expect(transientReason(captured.refusedRaw)).toBe('server unreachable');
    expect(transientReason(captured.terminatedRaw)).toBe('server shutting down');
  });

  it('accepts node socket errors, bare or nested in cause, with a reason naming no address', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN']) {
      expect(isTransientDbError(socketError(code))).toBe(true);
      expect(isTransientDbError(new Error('query failed', { cause: socketError(code) }))).toBe(true);
    }
    expect(transientReason(socketError('ECONNREFUSED'))).toBe('connection refused');
    expect(transientReason(new AggregateError([socketError('ECONNREFUSED')], 'connect failed'))).toBe('connection refused');
    expect(transientReason(socketError('ECONNRESET'))).not.toMatch(/10\.1\.2\.3|5432/);
  });

  it('accepts the transient SQLSTATEs, raw from pg or as adapter kind `postgres`', () => {
    const states = ['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '40001', '40P01', '53300'];
    for (const code of states) {
      expect(isTransientDbError(pgError(code, 'x'))).toBe(true);
      expect(isTransientDbError(known('P2010', 'Raw query failed', { driverAdapterError: adapterError({ kind: 'postgres', code, originalCode: code }) }))).toBe(true);
    }
    expect(transientReason(pgError('57P03', 'the database system is starting up'))).toBe('server starting up');
    expect(transientReason(pgError('40P01', 'deadlock detected'))).toBe('deadlock');
  });

  it('accepts the transient Prisma codes and driver adapter kinds', () => {
    for (const code of ['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034', 'P2037']) expect(isTransientDbError(known(code, 'x'))).toBe(true);
    for (const kind of ['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionWriteConflict']) {
      expect(isTransientDbError(adapterError({ kind }))).toBe(true);
      expect(isTransientDbError(known('P2010', 'x', { driverAdapterError: adapterError({ kind }) }))).toBe(true);
    }
    // PrismaClientInitializationError carries its code as `errorCode`.
    expect(isTransientDbError(Object.assign(new Error("Can't reach database server"), { name: 'PrismaClientInitializationError', errorCode: 'P1001' }))).toBe(true);
  });

  it('accepts pg and pg-pool errors that carry only a message', () => {
    expect(transientReason(new Error('Connection terminated unexpectedly'))).toBe('connection lost');
    expect(transientReason(new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') }))).toBe('connection timed out');
    expect(transientReason(new Error('timeout expired'))).toBe('connection timed out');
    expect(isTransientDbError(new Error('lock timeout expired for the cache'))).toBe(false);
    expect(transientReason(new Error('timeout exceeded when trying to connect'))).toBe('pool timeout');
    expect(transientReason(new Error('Client has encountered a connection error and is not queryable'))).toBe('connection lost');
    expect(transientReason(known('P2024', 'Timed out fetching a new connection from the connection pool.'))).toBe('pool timeout');
  });

  it('refuses errors about the statement itself', () => {
    expect(isTransientDbError(captured.uniqueViolation)).toBe(false);
    for (const code of ['P2002', 'P2003', 'P2025', 'P2010', 'P1000', 'P1003']) expect(isTransientDbError(known(code, 'x'))).toBe(false);
    for (const code of ['23505', '23503', '22P02', '42P01', '28P01', '3D000', '57014']) expect(isTransientDbError(pgError(code, 'x'))).toBe(false);
    for (const kind of ['UniqueConstraintViolation', 'AuthenticationFailed', 'DatabaseDoesNotExist', 'TableDoesNotExist', 'TransactionAlreadyClosed']) {
      expect(isTransientDbError(adapterError({ kind }))).toBe(false);
    }
    expect(isTransientDbError(new Prisma.PrismaClientValidationError('Argument `id` is missing.', { clientVersion: '7.10.1' }))).toBe(false);
    expect(isTransientDbError(new TypeError('x is not a function'))).toBe(false);
    for (const value of [undefined, null, 'ECONNREFUSED', 42, {}]) expect(isTransientDbError(value)).toBe(false);
  });

  it('survives cyclic cause chains', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isTransientDbError(a)).toBe(false);
  });
});

describe('dbErrorReason', () => {
  it('names transient causes, lasting configuration errors, else says query failed — never an address', () => {
    expect(dbErrorReason(captured.refusedModel)).toBe('server unreachable');
    expect(dbErrorReason(socketError('ECONNREFUSED'))).toBe('connection refused');
    expect(dbErrorReason(known('P1000', 'Authentication failed against database server at `10.1.2.3`', { driverAdapterError: adapterError({ kind: 'AuthenticationFailed', user: 'gantry' }) }))).toBe(
      'authentication failed',
    );
    expect(dbErrorReason(pgError('3D000', 'database "gantry" does not exist'))).toBe('database does not exist');
    expect(dbErrorReason(captured.uniqueViolation)).toBe('query failed');
    expect(dbErrorReason(new Error('connect to 10.1.2.3 failed strangely'))).toBe('query failed');
  });
});

/** A fake clock whose sleep advances it, recording every wait: no real time passes. */
function fakeTime() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => (t += ms),
  };
}

describe('withDbRetry', () => {
  it('retries transient errors with growing delays until fn succeeds', async () => {
    const time = fakeTime();
    const retries: Array<[number, number]> = [];
    let calls = 0;
    const result = await withDbRetry(
      async () => {
        calls += 1;
        if (calls < 4) throw socketError('ECONNREFUSED');
        return 'ok';
      },
      { ...time, baseMs: 100, maxMs: 1000, onRetry: (_err, attempt, delay) => retries.push([attempt, delay]) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(retries.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(time.sleeps).toEqual(retries.map(([, delay]) => delay));
    // Equal jitter: attempt n waits between half and all of 100·2^(n-1).
    time.sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(50 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });

  it('throws a non-transient error at once', async () => {
    const time = fakeTime();
    let calls = 0;
    const err = await withDbRetry(async () => {
      calls += 1;
      throw captured.uniqueViolation;
    }, time).catch((e: unknown) => e);
    expect(err).toBe(captured.uniqueViolation);
    expect(calls).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it('gives up with the last error once the deadline has passed, the last wait cut to the deadline', async () => {
    const time = fakeTime();
    let calls = 0;
    const errors: Error[] = [];
    const err = await withDbRetry(
      async () => {
        calls += 1;
        const e = socketError('ECONNRESET');
        errors.push(e);
        throw e;
      },
      { ...time, deadlineMs: 1000, baseMs: 200, maxMs: 400 },
    ).catch((e: unknown) => e);
    expect(err).toBe(errors.at(-1));
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBe(1000); // never waits past the deadline
    expect(calls).toBe(time.sleeps.length + 1); // one last attempt right at the deadline
    expect(calls).toBeGreaterThanOrEqual(4);
  });

  it('counts the time fn itself takes against the deadline', async () => {
    const time = fakeTime();
    let calls = 0;
    await expect(
      withDbRetry(
        async () => {
          calls += 1;
          time.advance(600); // each attempt hangs for 600 ms before failing
          throw socketError('ETIMEDOUT');
        },
        { ...time, deadlineMs: 1000, baseMs: 10, maxMs: 10 },
      ),
    ).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(calls).toBe(2);
  });

  it('stops when the signal aborts during a wait, throwing the database error', async () => {
    const controller = new AbortController();
    const dbError = socketError('ECONNREFUSED');
    let calls = 0;
    const err = await withDbRetry(
      async () => {
        calls += 1;
        throw dbError;
      },
      {
        signal: controller.signal,
        sleep: (_ms, signal) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
            controller.abort(new Error('shutting down'));
          }),
      },
    ).catch((e: unknown) => e);
    expect(err).toBe(dbError);
    expect(calls).toBe(1);
  });

  it('does not start when the signal has already aborted', async () => {
    let calls = 0;
    const reason = new Error('stopped');
    await expect(withDbRetry(async () => (calls += 1), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(calls).toBe(0);
  });

  it('waits with a real, abortable timer by default', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const delays: number[] = [];
    const running = withDbRetry(() => Promise.reject(socketError('ECONNREFUSED')), {
      signal: controller.signal,
      baseMs: 60_000,
      maxMs: 60_000,
      now: () => started, // a frozen clock: the wait is exactly the 30 s left of the deadline, however slow this machine
      // Abort once the wait has begun (onRetry runs just before it).
      onRetry: (_err, _attempt, delayMs) => {
        delays.push(delayMs);
        setImmediate(() => controller.abort());
      },
    });
    await expect(running).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(30_000);
    expect(Date.now() - started).toBeLessThan(delays[0]!); // the wait was cut short by the abort
  });
});
