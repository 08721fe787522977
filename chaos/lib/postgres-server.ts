/**
 * A throwaway PostgreSQL cluster for one chaos run: initdb into a temp directory, pg_ctl on
 * 127.0.0.1 and a free port (no Unix socket), trust authentication. As root, the server runs as
 * the `postgres` user (PostgreSQL refuses root) through runuser. It can be stopped and started
 * again (the restart fault), and is stopped and removed at cleanup.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '@gantry/testing';
import { onCleanup, onExitKill } from './cleanup.js';

const run = promisify(execFile);

/** The newest server binaries: Debian's /usr/lib/postgresql/<major>/bin, else `pg_config --bindir`. */
function findBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const majors = readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return path.join(base, majors[0], 'bin');
  }
  const viaConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = viaConfig.status === 0 ? viaConfig.stdout.trim() : '';
  if (dir && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL 14+ (Debian: apt-get install postgresql)');
}

/** The uid/gid of the `postgres` user, to own the data directory when running as root. */
function postgresUser(): { uid: number; gid: number } {
  const out = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (out.status !== 0 || gid.status !== 0) throw new Error('running as root needs a `postgres` user to run the PostgreSQL server');
  return { uid: Number(out.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export class PostgresServer {
  private undo: () => Promise<void> = async () => undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
    private readonly asRoot: boolean,
  ) {}

  static async start(): Promise<PostgresServer> {
    const bin = findBinDir();
    const asRoot = process.getuid?.() === 0;
    const dir = await mkdtemp(path.join(tmpdir(), 'gantry-chaos-pg-'));
    const server = new PostgresServer(await freePort(), dir, bin, asRoot);
    const unregisterKill = onExitKill(() => server.stopSync());
    server.undo = onCleanup(`postgresql :${server.port}`, async () => {
      await server.stop('immediate').catch(() => undefined);
      unregisterKill();
      await rm(dir, { recursive: true, force: true });
    });
    if (asRoot) {
      const { uid, gid } = postgresUser();
      await chown(dir, uid, gid);
    }
    // --no-sync and fsync=off: a throwaway cluster; a killed server process still loses nothing
    // committed (the OS keeps the writes), which is the failure these scenarios inject.
    await server.pg('initdb', ['-D', server.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    await server.startAgain();
    return server;
  }

  /** Stops it and removes the cluster (also done at cleanup). */
  destroy(): Promise<void> {
    return this.undo();
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** `pg_ctl start`, waiting until it accepts connections. */
  async startAgain(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=300`;
    await this.pg('pg_ctl', ['-D', this.dataDir, '-l', path.join(this.dir, 'postgresql.log'), '-w', '-t', '60', '-o', options, 'start']);
  }

  /** `pg_ctl stop`: `immediate` is a crash (recovery at the next start), `fast` a clean shutdown. */
  async stop(mode: 'immediate' | 'fast'): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** A new database, as a copy of `template` when given (cheaper than migrating again). */
  async createDatabase(name: string, template?: string): Promise<string> {
    await this.admin((c) => c.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`));
    return this.url(name);
  }

  async dropDatabase(name: string): Promise<void> {
    await this.admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }

  /** `pg_terminate_backend` for every connection to `database` (Gantry's); returns how many. */
  async terminateConnections(database: string): Promise<number> {
    const { rows } = await this.admin((c) =>
      c.query('SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]),
    );
    return rows[0].n as number;
  }

  /** Runs `fn` on a short-lived connection to the `postgres` database. */
  async admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined); // a restart while connected: the query rejects instead
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const exe = path.join(this.bin, tool);
    const [cmd, argv] = this.asRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
    try {
      await run(cmd, argv, { cwd: this.dir, timeout: 90_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${tool} ${args.at(-1)} failed: ${(e.stderr || e.message).trim()} (log: ${path.join(this.dir, 'postgresql.log')})`);
    }
  }

  private stopSync(): void {
    const exe = path.join(this.bin, 'pg_ctl');
    const args = ['-D', this.dataDir, '-m', 'immediate', 'stop'];
    spawnSync(this.asRoot ? 'runuser' : exe, this.asRoot ? ['-u', 'postgres', '--', exe, ...args] : args, { stdio: 'ignore', cwd: this.dir });
  }
}
