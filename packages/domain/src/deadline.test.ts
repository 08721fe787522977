import { timedCheck, withTimeout } from './deadline';

describe('deadlines', () => {
  it('withTimeout settles like the promise, or rejects with the given error when too slow', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('own')), 1000)).rejects.toThrow('own');
    const never = new Promise<number>(() => undefined);
    await expect(withTimeout(never, 10)).rejects.toThrow('timed out after 10 ms');
    await expect(withTimeout(never, 10, () => Object.assign(new Error('dns'), { code: 'ETIMEOUT' }))).rejects.toMatchObject({ code: 'ETIMEOUT' });
  });

  it('timedCheck is up only for a true answer in time', async () => {
    expect(await timedCheck(async () => true, 1000)).toMatchObject({ status: 'up', latencyMs: expect.any(Number) });
    expect((await timedCheck(async () => false, 1000)).status).toBe('down');
    expect((await timedCheck(() => Promise.reject(new Error('boom')), 1000)).status).toBe('down');
    expect((await timedCheck(() => { throw new Error('sync'); }, 1000)).status).toBe('down');
    expect((await timedCheck(() => new Promise<boolean>(() => undefined), 10)).status).toBe('down');
  });

  it('timedCheck says why a dependency is down, through describe for thrown errors', async () => {
    expect(await timedCheck(async () => true, 1000, () => 'never asked')).not.toHaveProperty('reason');
    expect(await timedCheck(async () => false, 1000)).toMatchObject({ status: 'down', reason: 'unexpected answer' });
    expect(await timedCheck(() => new Promise<boolean>(() => undefined), 10, () => 'never asked')).toMatchObject({ reason: 'timed out' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const describe = (err: unknown) => ((err as { code?: string }).code === 'ECONNREFUSED' ? 'connection refused' : undefined);
    expect(await timedCheck(() => Promise.reject(refused), 1000, describe)).toMatchObject({ status: 'down', reason: 'connection refused' });
    expect(await timedCheck(() => Promise.reject(new Error('10.0.0.5 exploded')), 1000, describe)).toMatchObject({ reason: 'error' });
  });
});
