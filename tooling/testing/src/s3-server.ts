import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { makeS3rverWritesDurable } from './s3rver-durable-writes.js';

/** s3rver's fixed credentials: it refuses another access key id (it does not verify SigV4 signatures). */
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

/** A real S3-protocol server (s3rver) on 127.0.0.1, with one empty bucket, for one test file. */
export interface TestS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The GANTRY_STORAGE/GANTRY_S3_* variables that point a Gantry process at this bucket. */
  env(prefix?: string): Record<string, string>;
  /** Stops the server and removes its files. */
  close(): Promise<void>;
}

/**
 * Starts s3rver on a free port of 127.0.0.1 with a bucket of a random name (files under a fresh
 * temporary directory). Path-style addressing; the real S3 REST protocol (multipart, copy,
 * ranges, presigned URLs), though s3rver checks only the access key id of a signed request.
 */
export async function startS3Server(options: { bucket?: string } = {}): Promise<TestS3Server> {
  makeS3rverWritesDurable();
  const directory = await mkdtemp(path.join(tmpdir(), 'gantry-s3rver-'));
  const bucket = options.bucket ?? `gantry-test-${randomBytes(4).toString('hex')}`;
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  let address;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    env: (prefix = '') => ({
      GANTRY_STORAGE: 's3',
      GANTRY_S3_BUCKET: bucket,
      GANTRY_S3_ENDPOINT: endpoint,
      GANTRY_S3_REGION: 'us-east-1',
      GANTRY_S3_FORCE_PATH_STYLE: 'true',
      GANTRY_S3_ACCESS_KEY_ID: ACCESS_KEY,
      GANTRY_S3_SECRET_ACCESS_KEY: SECRET_KEY,
      ...(prefix ? { GANTRY_S3_PREFIX: prefix } : {}),
    }),
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
