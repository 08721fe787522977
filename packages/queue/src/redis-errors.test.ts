import { isRedisUnavailableError } from './redis-errors';

describe('isRedisUnavailableError', () => {
  it('recognises the shapes ioredis gives an unavailable Redis', () => {
    for (const err of [
      new Error('Command timed out'),
      new Error('Connection is closed.'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      Object.assign(new Error('Reached the max retries per request limit (which is 0).'), { name: 'MaxRetriesPerRequestError' }),
      Object.assign(new Error('Failed to refresh slots cache.'), { name: 'ClusterAllFailedError' }),
      new Error('LOADING Redis is loading the dataset in memory'),
      new Error("READONLY You can't write against a read only replica."),
      new Error('CLUSTERDOWN The cluster is down'),
      new Error('wrapped', { cause: new Error('Command timed out') }),
    ]) {
      expect({ message: err.message, unavailable: isRedisUnavailableError(err) }).toEqual({ message: err.message, unavailable: true });
    }
  });

  it('leaves everything else alone (database errors, command errors, bugs)', () => {
    for (const err of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('ERR wrong number of arguments for command'),
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      'Command timed out',
      null,
    ]) {
      expect(isRedisUnavailableError(err)).toBe(false);
    }
  });
});
