import { createHash, randomUUID } from 'node:crypto';
import { redisTestPrefix } from '@gantry/testing';
import { redisScript, runScript } from './redis-script';

describe('redis scripts (real Redis)', () => {
  const scope = redisTestPrefix();

  it('defines a script once on a connection, runs it by SHA, and sends the text when the server lacks it', async () => {
    // A text no server has seen yet: the first EVALSHA gets NOSCRIPT and ioredis falls back to EVAL.
    const lua = `-- ${randomUUID()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;
    const sha = createHash('sha1').update(lua).digest('hex');
    const script = redisScript('gantryTestIncrBy', lua);
    const key = `${scope.prefix}:counter`;
    expect(await runScript<number>(scope.redis, script, [key], [2])).toBe(2);
    expect(await scope.redis.script('EXISTS', sha)).toEqual([1]);
    expect(await runScript<number>(scope.redis, script, [key], [3])).toBe(5);
    expect(typeof (scope.redis as unknown as Record<string, unknown>).gantryTestIncrBy).toBe('function');
  });

  it('refuses a second, different script under a name already declared, and names not in gantryCamelCase', () => {
    redisScript('gantryTestTwice', 'return 1');
    expect(redisScript('gantryTestTwice', 'return 1').name).toBe('gantryTestTwice');
    expect(() => redisScript('gantryTestTwice', 'return 2')).toThrow(/declared twice/);
    expect(() => redisScript('eval', 'return 1')).toThrow(/gantryCamelCase/);
  });
});
