import { ShutdownError } from './errors.js';
import { sleep } from './interrupt.js';

describe('sleep', () => {
  it('yields to the event loop even with no time left (a sampler behind its deadlines never starves its sockets)', async () => {
    let served = false;
    setImmediate(() => (served = true));
    await sleep(0, new AbortController().signal);
    expect(served).toBe(true);
  });

  it('rejects with ShutdownError once the sim closes, with or without time left', async () => {
    const closed = new AbortController();
    closed.abort();
    await expect(sleep(0, closed.signal)).rejects.toBeInstanceOf(ShutdownError);
    await expect(sleep(50, closed.signal)).rejects.toBeInstanceOf(ShutdownError);
  });
});
