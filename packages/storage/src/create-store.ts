import { S3Client } from '@aws-sdk/client-s3';
import type { StorageEnv } from '@gantry/domain';
import type { ArtifactStore } from './artifact-store.js';
import { LocalArtifactStore } from './local-store.js';
import { S3ArtifactStore } from './s3-store.js';

/** The storage variables createArtifactStore reads (every app's env has them: commonEnvSchema). */
export type ArtifactStoreEnv = Pick<
  StorageEnv,
  | 'GANTRY_STORAGE'
  | 'GANTRY_ARTIFACT_DIR'
  | 'GANTRY_S3_BUCKET'
  | 'GANTRY_S3_PREFIX'
  | 'GANTRY_S3_ENDPOINT'
  | 'GANTRY_S3_PUBLIC_ENDPOINT'
  | 'GANTRY_S3_REGION'
  | 'GANTRY_S3_FORCE_PATH_STYLE'
  | 'GANTRY_S3_ACCESS_KEY_ID'
  | 'GANTRY_S3_SECRET_ACCESS_KEY'
>;

/**
 * The artifact store the configuration names: the local directory (default) or an S3-compatible
 * bucket. One factory for the API, the workers and the retention CLI, so they always agree.
 * The environment was validated when it was parsed (a bucket for s3, both static keys or neither).
 */
export function createArtifactStore(env: ArtifactStoreEnv): ArtifactStore {
  if (env.GANTRY_STORAGE === 'local') return new LocalArtifactStore(env.GANTRY_ARTIFACT_DIR);
  if (!env.GANTRY_S3_BUCKET) throw new Error('Invalid configuration:\n  GANTRY_S3_BUCKET: required when GANTRY_STORAGE=s3');
  const client = s3Client(env, env.GANTRY_S3_ENDPOINT);
  // Presigned URLs name the host clients use; signing needs no connection, so this client sends nothing.
  const presignClient = env.GANTRY_S3_PUBLIC_ENDPOINT ? s3Client(env, env.GANTRY_S3_PUBLIC_ENDPOINT) : undefined;
  return new S3ArtifactStore({ client, presignClient, bucket: env.GANTRY_S3_BUCKET, prefix: env.GANTRY_S3_PREFIX });
}

function s3Client(env: ArtifactStoreEnv, endpoint: string | undefined): S3Client {
  return new S3Client({
    region: env.GANTRY_S3_REGION,
    endpoint,
    forcePathStyle: env.GANTRY_S3_FORCE_PATH_STYLE,
    // Unset: the SDK's default chain (environment, profile, web identity, instance role).
    credentials:
      env.GANTRY_S3_ACCESS_KEY_ID && env.GANTRY_S3_SECRET_ACCESS_KEY
        ? { accessKeyId: env.GANTRY_S3_ACCESS_KEY_ID, secretAccessKey: env.GANTRY_S3_SECRET_ACCESS_KEY }
        : undefined,
    // A few quick retries for throttling and blips; a store that stays down fails the call (503).
    maxAttempts: 3,
    // A store that does not accept the connection counts as down quickly (readiness, requests).
    requestHandler: { connectionTimeout: 5000 },
  });
}
