import { redisScript } from '@gantry/queue';

/**
 * Generic cell rate algorithm (GCRA) over several buckets at once, atomic across every API
 * instance (one Redis script). A bucket of `limit` requests per `window` ms lets `limit` requests
 * through at once, then one per `window / limit` ms: a smooth token bucket whose whole state is one
 * number, the theoretical arrival time (TAT) of the next request.
 *
 * KEYS[i]   bucket i (a string holding its TAT in ms; expires when the bucket is full again)
 * ARGV[1]   cost of this request (1)
 * ARGV[2i]  emission interval of bucket i in ms (window / limit)
 * ARGV[2i+1] limit of bucket i (the burst)
 *
 * The request is allowed only if every bucket allows it, and then it is charged to every bucket;
 * a refused request charges nothing. Time is Redis's clock, so instances need no clock sync.
 * Returns { allowed (1/0), retryAfterMs, remaining_1, resetMs_1, remaining_2, resetMs_2, ... }:
 * `remaining` is what is left after this request (before it, if refused), `resetMs` the time
 * until the bucket is full again.
 */
export const GCRA = redisScript(
  'gantryRateLimit',
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local n = #KEYS
local tats = {}
local allowed = 1
local retry = 0
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local limit = tonumber(ARGV[2 * i + 1])
  local stored = redis.call('GET', KEYS[i])
  local tat = now
  if stored then tat = math.max(tonumber(stored), now) end
  local allowAt = tat + interval * cost - interval * limit
  tats[i] = tat
  if now < allowAt then
    allowed = 0
    if allowAt - now > retry then retry = allowAt - now end
  end
end
local out = { allowed, math.ceil(retry) }
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local limit = tonumber(ARGV[2 * i + 1])
  local tat = tats[i]
  if allowed == 1 then
    tat = tat + interval * cost
    redis.call('SET', KEYS[i], tostring(tat), 'PX', math.max(1, math.ceil(tat - now)))
  end
  local remaining = math.floor((now - (tat - interval * limit)) / interval)
  if remaining < 0 then remaining = 0 end
  if remaining > limit then remaining = limit end
  out[#out + 1] = remaining
  out[#out + 1] = math.ceil(tat - now)
end
return out
`,
);
