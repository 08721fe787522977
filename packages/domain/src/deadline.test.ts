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
});
