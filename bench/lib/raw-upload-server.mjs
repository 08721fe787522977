// The raw baseline of bench/uploads.mjs: node:http streaming each request body through SHA-256
// into a file (what the upload path does, minus image checks, the store's rename and PostgreSQL).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

const dir = process.env.RAW_DIR;
const server = createServer(async (req, res) => {
  const file = path.join(dir, randomBytes(8).toString('hex'));
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(req, new Transform({ transform(chunk, _e, done) { hash.update(chunk); bytes += chunk.length; done(null, chunk); } }), createWriteStream(file));
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sha256: hash.digest('hex'), bytes }));
  } catch {
    res.writeHead(500).end();
  } finally {
    await rm(file, { force: true });
  }
});
server.listen(0, '127.0.0.1', () => process.send?.({ benchRawPort: server.address().port }));
