// What Redis holds for a process's pub/sub connections, for `npm run bench:ws -- --synthetic-rate`
// (not part of Gantry): when the API's fan-out falls behind it pauses its event subscription, and
// the unread messages wait in Redis's output buffer for that connection (`omem` in CLIENT LIST; past
// client-output-buffer-limit pubsub Redis drops the connection). The connections are found by the
// local ports the process holds towards Redis (its socket inodes in /proc/<pid>/fd, their addresses
// in /proc/net/tcp and tcp6), matched against CLIENT LIST.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The link of a file descriptor ('' once it closed). */
function linkOf(file) {
  try {
    return readlinkSync(file);
  } catch {
    return '';
  }
}

/** Local TCP ports of `pid`'s connections to port `redisPort` (Linux /proc; empty elsewhere). */
export function redisPortsOf(pid, redisPort) {
  const ports = new Set();
  try {
    const inodes = new Set();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(linkOf(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    }
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 10 || !inodes.has(f[9])) continue;
        if (parseInt(f[2].split(':')[1], 16) === redisPort) ports.add(parseInt(f[1].split(':')[1], 16));
      }
    }
  } catch {
    // not Linux, or the process is gone: no backlog figures
  }
  return ports;
}

/** The pub/sub connections among `ports`: output buffer bytes (omem) and pending replies (oll), summed. */
export async function pubsubBacklog(redis, ports) {
  const text = await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub');
  let omem = 0;
  let oll = 0;
  let found = 0;
  for (const line of String(text).split('\n')) {
    const fields = Object.fromEntries(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const port = Number(fields.addr?.split(':').pop());
    if (!ports.has(port)) continue;
    found += 1;
    omem += Number(fields.omem ?? 0);
    oll += Number(fields.oll ?? 0);
  }
  return { found, omem, oll };
}
