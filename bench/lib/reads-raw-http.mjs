// The raw HTTP baseline of bench/reads.ts (issue 12's yardstick: "node:http + a pg pool + the same
// SQL"): a plain node:http server in its own process that answers each read's path with its raw
// query's rows as JSON (JSON.stringify of node-postgres' rows), and anything else with 404. No
// framework, auth, validation, logging, metrics, headers or view building. The reads come from
// RAW_READS (JSON: path → { text, values }, or { body } for a fixed answer without a query: the
// floor, as GET /livez; with `place: { lua, keys, member }` also one EVAL of that script on
// REDIS_URL beside the query, answered as { rows, place }: a queued job's place in the queue, read
// as the API reads it); the port is sent to the parent (fork's IPC channel).
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';

const reads = new Map(Object.entries(JSON.parse(process.env.RAW_READS ?? '{}')));
// As the API's pool: a few connections (one request at a time in the bench).
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
// An idle client's error (a server restart) must not end the process mid-run.
pool.on('error', () => undefined);
const redis = [...reads.values()].some((r) => r.place) ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : null;
redis?.on('error', () => undefined);

const server = createServer((req, res) => {
  const read = reads.get(req.url ?? '');
  if (!read) {
    res.writeHead(404).end();
    return;
  }
  const answer = (value) => {
    const body = JSON.stringify(value);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  if (read.body !== undefined) {
    answer(read.body);
    return;
  }
  const fail = (err) => res.writeHead(500).end(String(err));
  if (read.place && redis) {
    const { lua, keys, member } = read.place;
    Promise.all([pool.query(read.text, read.values), redis.eval(lua, keys.length, ...keys, member)]).then(([{ rows }, place]) => answer({ rows, place }), fail);
    return;
  }
  pool.query(read.text, read.values).then(({ rows }) => answer(rows), fail);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ rawReadsPort: server.address().port }));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    redis?.disconnect();
    void pool.end().finally(() => process.exit(0));
  });
}
