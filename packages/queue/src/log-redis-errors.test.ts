import { logRedisErrors } from './connection';

describe('logRedisErrors', () => {
  it('logs an error once a minute per message, with how often it repeated meanwhile', () => {
    const lines: object[] = [];
    let now = 0;
    const onError = logRedisErrors({ warn: (obj) => lines.push(obj) }, 'commands', () => now);
    const refused = new Error('connect ECONNREFUSED');
    onError(refused);
    now = 1000;
    onError(refused);
    onError(refused);
    expect(lines).toEqual([{ err: refused, connection: 'commands' }]);
    // Another message is logged at once; the same one again after a minute.
    const reset = new Error('read ECONNRESET');
    onError(reset);
    now = 62_000;
    onError(reset);
    expect(lines).toEqual([
      { err: refused, connection: 'commands' },
      { err: reset, connection: 'commands', repeatsOfPrevious: 2 },
      { err: reset, connection: 'commands' },
    ]);
  });
});
