import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Write and read system calls a process made so far, all threads (Linux /proc/PID/io `syscw`,
 * `syscr`): write/writev/pwrite on sockets, pipes and files, so a socket write to Redis or
 * PostgreSQL, an HTTP request and a log line each count. NaN when the process is gone or
 * unreadable. Cheap (one small file read) and independent of the machine's load.
 */
export function syscalls(pid: number | undefined): { writes: number; reads: number } {
  if (pid === undefined) return { writes: NaN, reads: NaN };
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
    return { writes: field('syscw'), reads: field('syscr') };
  } catch {
    return { writes: NaN, reads: NaN };
  }
}

/** The local TCP ports of a process's open sockets (its fds matched to /proc/PID/net/tcp{,6} by inode). */
export function tcpLocalPorts(pid: number | undefined): Set<number> {
  const ports = new Set<number>();
  if (pid === undefined) return ports;
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1]) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
    for (const table of ['tcp', 'tcp6']) {
      let text = '';
      try {
        text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 10 || !inodes.has(cols[9] as string)) continue;
        ports.add(parseInt((cols[1] as string).split(':')[1] as string, 16));
      }
    }
  } catch {
    // gone
  }
  return ports;
}
