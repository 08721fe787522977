/**
 * A private PostgreSQL server for fault tests that stop and restart the database, which must
 * never happen to the shared test server. initdb into a temp dir, pg_ctl on a free port on
 * 127.0.0.1, trust auth, user `postgres`. PostgreSQL refuses to run as root, so as root the
 * binaries run as the `postgres` user through runuser. `destroy()` stops it and removes the dir;
 * call it in afterAll.
 *
 * Binaries: GANTRY_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin (Debian's layout).
 *
 * @example
 * const server = await startThrowawayPostgres();
 * await server.stop();   // fast shutdown: connections are terminated, new ones refused
 * await server.stop('immediate'); // a crash: no shutdown checkpoint, recovery at the next start
 * await server.start();  // same data, same port; resolves once it accepts connections
 * await server.destroy();
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);

/** A running (or stopped) private PostgreSQL server. */
export interface ThrowawayPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  /**
   * Stops the server; resolves once it is down. `fast` (default): open sessions are terminated;
   * `immediate`: a crash, recovered from the WAL at the next start.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it if running and deletes its data directory. Idempotent. */
  destroy(): Promise<void>;
}

/** pg_ctl's own bound on waiting for start/stop, in seconds (it polls the server, no guessing). */
const PG_CTL_WAIT_S = '60';

export interface ThrowawayPostgresOptions {
  /** max_connections (default 30; a whole fleet of processes needs more). */
  maxConnections?: number;
}

export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  const dir = await mkdtemp(path.join(tmpdir(), 'gantry-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
  const pgRun = (tool: string, args: string[]) => run(...command(tool, args));

  let port = 0;
  let running = false;
  let destroyed = false;
  const start = async () => {
    // -k: the Unix socket goes to our dir, so no system directory is needed (or touched).
    const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c max_connections=${options.maxConnections ?? 30}`;
    await pgRun('pg_ctl', ['start', '-w', '-t', PG_CTL_WAIT_S, '-D', data, '-l', path.join(dir, 'server.log'), '-o', opts]);
    running = true;
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (!running) return;
    await pgRun('pg_ctl', ['stop', '-w', '-t', PG_CTL_WAIT_S, '-m', mode, '-D', data]);
    running = false;
  };
  // pg_ctl daemonizes the server: should the test process end without destroy() (a failed
  // afterAll, process.exit), stop it synchronously on the way out instead of leaving it behind.
  const onExit = () => {
    if (running) {
      try {
        execFileSync(...command('pg_ctl', ['stop', '-w', '-t', PG_CTL_WAIT_S, '-m', 'immediate', '-D', data]), { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    process.removeListener('exit', onExit);
    await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    port = await freePort();
    await start();
  } catch (err) {
    await destroy();
    throw err;
  }
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, port, stop, start, destroy };
}

/** Directory of initdb/pg_ctl, or a clear error saying how to point at it. */
function postgresBinDir(): string {
  const fromEnv = process.env.GANTRY_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = path.join(root, v, 'bin');
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('No PostgreSQL server binaries (initdb, pg_ctl) found: install them or set GANTRY_PG_BIN to their directory');
}
