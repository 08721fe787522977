// Child processes of the scheduling benchmark (gpu-sims, workers, API): TypeScript entry points run
// with tsx from source, like scripts/run-ts.mjs does, plus the orphan guard (sched-guard.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// CommonJS (the root package is not "type": "module"), as tsx and tsc treat this file.
export const ROOT = path.resolve(__dirname, '../..');
const GUARD = pathToFileURL(path.join(ROOT, 'bench/lib/sched-guard.ts')).href;

/** A free TCP port on 127.0.0.1 (the OS picks it and it is released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface LineWaiter {
  pattern: RegExp;
  resolve: (line: string) => void;
}

/** One child process; keeps its last lines for error reports and counts its warnings. */
export class SchedProc {
  readonly proc: ChildProcess;
  readonly pid: number | undefined;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited = false;
  /** pino lines at warn or above (level 40+), and other lines that look like errors. */
  warnCount = 0;
  readonly warnings: string[] = [];
  private readonly lines: string[] = [];
  private waiters: LineWaiter[] = [];
  private readonly listeners = new Set<(line: string) => void>();

  constructor(
    readonly name: string,
    entry: string,
    env: Record<string, string>,
    nodeArgs: string[] = [],
  ) {
    const args = [...nodeArgs, '--conditions=@gantry/source', '--import', 'tsx', '--import', GUARD, path.join(ROOT, entry)];
    this.proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.pid = this.proc.pid;
    this.exit = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      }),
    );
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      if (!stream) continue;
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) this.onLine(line);
      });
    }
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    this.lines.push(line);
    if (this.lines.length > 100) this.lines.shift();
    if (/"level":(40|50|60)\b/.test(line) || (!line.startsWith('{') && /error/i.test(line))) {
      this.warnCount += 1;
      if (this.warnings.length < 10) this.warnings.push(line.slice(0, 500));
    }
    for (const listener of this.listeners) listener(line);
    if (this.waiters.length) {
      const still: LineWaiter[] = [];
      for (const w of this.waiters) {
        if (w.pattern.test(line)) w.resolve(line);
        else still.push(w);
      }
      this.waiters = still;
    }
  }

  /** Resolves with the first line (from now on) matching `pattern`; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no line matching ${pattern} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      const waiter: LineWaiter = {
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.waiters.push(waiter);
      void this.exit.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${signal ?? code}) before printing ${pattern}\n${this.tail()}`));
      });
    });
  }

  /** The next `count` lines matching `pattern`, in order (call right after spawning). */
  collectLines(pattern: RegExp, count: number, timeoutMs: number): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const out: string[] = [];
      const listener = (line: string) => {
        if (!pattern.test(line)) return;
        out.push(line);
        if (out.length === count) {
          this.listeners.delete(listener);
          clearTimeout(timer);
          resolve(out);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.name}: ${out.length} of ${count} lines matching ${pattern} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.listeners.add(listener);
      void this.exit.then(({ code, signal }) => {
        if (!this.listeners.delete(listener)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${signal ?? code}) before printing ${count} lines matching ${pattern}\n${this.tail()}`));
      });
    });
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  tail(n = 15): string {
    return this.lines.slice(-n).map((l) => `    [${this.name}] ${l.slice(0, 400)}`).join('\n');
  }
}

/** Starts a TypeScript entry point of the repository as a child process (`nodeArgs`: e.g. --cpu-prof). */
export function spawnTs(name: string, entry: string, env: Record<string, string>, nodeArgs: string[] = []): SchedProc {
  return new SchedProc(name, entry, env, nodeArgs);
}

/** CPU time (user + system) a process has used so far, in ms; NaN when it is gone (Linux /proc). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in 100 Hz clock ticks
  } catch {
    return NaN;
  }
}
