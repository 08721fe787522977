import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitUntil } from './http-client.js';

/**
 * One redis-server (or sentinel) process for tests, on 127.0.0.1 only, with its config, data and
 * log in its own directory. It runs under a small shell that kills it when the test process is
 * gone (a jest worker killed mid-test must not leave servers behind); both share a process group,
 * so killing the group kills the server at once.
 */
export interface RedisProcess {
  readonly name: string;
  readonly port: number;
  readonly dir: string;
  /** The shell's exit (the server is gone by then). */
  readonly exited: Promise<void>;
  /** A connection to this one server that gives up instead of retrying; the caller disconnects it. */
  connect(): Redis;
  /** INFO `section` as key → value. */
  info(section: string): Promise<Record<string, string>>;
  /** SIGKILLs the server (no shutdown, no save); resolves when it is gone. Idempotent. */
  kill(): Promise<void>;
}

export interface RedisProcessSpec {
  name: string;
  /** The parent directory; this process gets `<parentDir>/<name>`. */
  parentDir: string;
  port: number;
  /** Config lines besides port, bind, dir and logging. */
  config: string[];
  /** Start with `--sentinel`. */
  sentinel?: boolean;
  /** Password a client needs (requirepass). */
  password?: string;
}

/** Processes still running in this test process; killed synchronously if it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

// `$PPID` is this test process: once it is gone, the loop ends and the server is killed.
const KEEPER = 'redis-server "$@" & server=$!; while kill -0 $PPID 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done; kill -9 $server 2>/dev/null';

export async function startRedisProcess(spec: RedisProcessSpec): Promise<RedisProcess> {
  const dir = path.join(spec.parentDir, spec.name);
  await mkdir(dir, { recursive: true });
  const configFile = path.join(dir, 'redis.conf');
  const logFile = path.join(dir, 'redis.log');
  const lines = [`port ${spec.port}`, 'bind 127.0.0.1', `dir ${dir}`, `logfile ${logFile}`, ...spec.config];
  // Sentinel rewrites its config file, so it must be a writable file of its own.
  await writeFile(configFile, `${lines.join('\n')}\n`);
  const child = spawn('sh', ['-c', KEEPER, 'sh', configFile, ...(spec.sentinel ? ['--sentinel'] : [])], { detached: true, stdio: 'ignore' });
  running.add(child);
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      running.delete(child);
      resolve();
    }),
  );
  const connect = () => {
    const client = new Redis({
      host: '127.0.0.1',
      port: spec.port,
      password: spec.password,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
    client.on('error', () => undefined); // reported through the rejected call (a server starting or killed)
    return client;
  };
  const proc: RedisProcess = {
    name: spec.name,
    port: spec.port,
    dir,
    exited,
    connect,
    info: async (section) => parseInfo(String(await withClient(connect, (c) => c.info(section)))),
    kill: async () => {
      if (!gone) killGroup(child);
      await exited;
    },
  };
  try {
    await waitUntil(async () => {
      if (gone) throw new Error(`${spec.name} exited at start:\n${tail(logFile)}`);
      return (await withClient(connect, (c) => c.ping()).catch(() => undefined)) === 'PONG' ? true : undefined;
    }, 10_000);
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

/**
 * Runs one call on a fresh connection and closes it. QUIT rather than disconnect(): ioredis arms a
 * 2 s timer on disconnect() that would keep jest from exiting; a failed connection is already shut.
 */
export async function withClient<T>(connect: () => Redis, call: (client: Redis) => Promise<T>): Promise<T> {
  const client = connect();
  try {
    await client.connect();
    return await call(client);
  } finally {
    if (client.status !== 'end') await client.quit().catch(() => client.disconnect());
  }
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
