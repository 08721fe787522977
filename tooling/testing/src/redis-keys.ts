import { once } from 'node:events';
import { isCluster, type RedisClient } from '@gantry/queue';

/**
 * The servers that hold keys: the connection itself, or every master of a cluster (SCAN and
 * KEYS only see the node they run on). A cluster client knows its nodes once it read the slot map.
 */
async function keyHolders(client: RedisClient): Promise<RedisClient[]> {
  if (!isCluster(client)) return [client];
  if (client.status !== 'ready') await once(client, 'ready');
  return client.nodes('master');
}

/** Every key matching a glob `pattern`, wherever it lives. */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of await keyHolders(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

/**
 * Deletes every key matching `pattern`; returns how many. One key per command: on a cluster a
 * multi-key DEL is refused unless all keys share a slot.
 */
export async function deleteKeys(client: RedisClient, pattern: string): Promise<number> {
  const keys = await scanKeys(client, pattern);
  for (let i = 0; i < keys.length; i += 500) {
    await Promise.all(keys.slice(i, i + 500).map((key) => client.unlink(key)));
  }
  return keys.length;
}
