// What Redis holds for a process's pub/sub connections, for `npm run bench:ws -- --synthetic-rate`
// (not part of Gantry): when the API's fan-out falls behind it pauses its event subscription, and
// the unread messages wait in Redis's output buffer for that connection (`omem` in CLIENT LIST; past
// client-output-buffer-limit pubsub Redis drops the connection). The connections are found by the
// local ports the process holds towards Redis (`ss -tnp`, same user), matched against CLIENT LIST.
import { execFileSync } from 'node:child_process';

/** Local TCP ports of `pid`'s established connections to port `redisPort`. */
export function redisPortsOf(pid, redisPort) {
  let out = '';
  try {
    out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${redisPort} )`], { encoding: 'utf8' });
  } catch {
    return new Set();
  }
  const ports = new Set();
  for (const line of out.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const local = line.trim().split(/\s+/)[2]; // Recv-Q Send-Q Local Peer Process
    const port = Number(local?.split(':').pop());
    if (port) ports.add(port);
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
