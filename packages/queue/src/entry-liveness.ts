import type { RedisClient } from './connection.js';
import { QUEUE_NAMES } from '@gantry/domain';
import { redisScript, runScript } from './redis-script.js';

/**
 * Which of these BullMQ entries can still lead to a run: the entry exists and is waiting, delayed,
 * prioritized, or active under a live lock. Lost are entries that are missing (Redis flushed or
 * failed over, an enqueue that never happened), finished in BullMQ's eyes (completed/failed while
 * PostgreSQL still says the job must run) or active with an expired lock (their worker died; BullMQ's
 * own stalled check would return them later, or never after maxStalledCount).
 *
 * One script call per batch, its keys all under the queue's prefix (one hash slot when the prefix
 * is hash-tagged). The keys are computed here the way BullMQ names them.
 */
const LOST_ENTRIES = redisScript(
  'gantryLostRenderEntries',
  `
local base = ARGV[1]
local activeIsLost = ARGV[2] == '1'
local lost = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local key = base .. id
  if redis.call('EXISTS', key) == 0 then
    table.insert(lost, id)
  elseif redis.call('ZSCORE', base .. 'completed', id) or redis.call('ZSCORE', base .. 'failed', id) then
    table.insert(lost, id)
  elseif redis.call('LPOS', base .. 'active', id) and (activeIsLost or redis.call('EXISTS', key .. ':lock') == 0) then
    table.insert(lost, id)
  end
end
return lost
`,
);

/**
 * Returns the subset of the render queue's `entryIds` that can no longer lead to a run (see above).
 * `activeIsLost`: for jobs whose worker PostgreSQL already found dead, an active entry counts as
 * lost even under a lock (the dead worker's lock outlives it by up to the lock duration; BullMQ
 * would hand the entry back only after that and its next stalled check).
 */
export async function findLostRenderEntries(redis: RedisClient, prefix: string, entryIds: readonly string[], activeIsLost = false): Promise<Set<string>> {
  if (entryIds.length === 0) return new Set();
  const base = `${prefix}:${QUEUE_NAMES.render}:`;
  // KEYS[1] (the queue's meta key) only routes the call to the node holding the queue's slot.
  const lost = await runScript<string[]>(redis, LOST_ENTRIES, [`${base}meta`], [base, activeIsLost ? '1' : '0', ...entryIds]);
  return new Set(lost);
}
