import { redisScript } from '@gantry/queue';

/**
 * A queued job's place in the render queue, in one round trip: its rank in BullMQ's priority set
 * (KEYS[1], 0 = next), else 0 when a worker has taken it already and it waits there for a slot
 * (it is in the active list, KEYS[2]), else -1 (the queue holds neither: a delayed retry or
 * hand-back, an entry of a later generation, an entry the reconciler has still to restore).
 * The active list is scanned only for a job not in the set; it holds at most the fleet's
 * concurrency.
 */
export const QUEUE_PLACE = redisScript(
  'gantryQueuePlace',
  `
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if rank then return rank end
if redis.call('LPOS', KEYS[2], ARGV[1]) then return 0 end
return -1
`,
);
