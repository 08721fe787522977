import { z } from 'zod';
import { boolEnv } from './bool-env.js';

/** GANTRY_STORAGE_PRESIGN: each mode does what the one before it does, and more. */
export const PRESIGN_MODES = ['off', 'redirect', 'urls'] as const;
export type PresignMode = (typeof PRESIGN_MODES)[number];

/**
 * Where artifacts and uploads live (docs/deployment.md#object-storage). Every process that reads
 * or writes them (API, workers, the retention CLI) reads these; `createArtifactStore` in
 * @gantry/storage builds the store from them.
 */
export const storageEnvShape = {
  /** `local` (a directory, GANTRY_ARTIFACT_DIR; the default) or `s3` (an S3-compatible bucket, GANTRY_S3_*). */
  GANTRY_STORAGE: z.enum(['local', 's3']).default('local'),
  /** S3: the bucket (required with GANTRY_STORAGE=s3). */
  GANTRY_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens')
    .optional(),
  /** S3: a key prefix for every object (`gantry` or `gantry/` → `gantry/sha256/...`); default none. */
  GANTRY_S3_PREFIX: z
    .string()
    .regex(/^(?!(.*\/)?\.{1,2}(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/, 'path segments of letters, digits, dot, underscore and hyphen (no . or ..)')
    .transform((p) => (p.endsWith('/') ? p : `${p}/`))
    .default(''),
  /** S3: the service endpoint for S3-compatible stores (MinIO, R2, GCS...); unset: AWS S3 of GANTRY_S3_REGION. */
  GANTRY_S3_ENDPOINT: z.string().url().optional(),
  /**
   * S3: the endpoint clients reach the bucket at, when it differs from GANTRY_S3_ENDPOINT (an
   * internal address such as `http://minio:9000`). Presigned URLs are signed for this host; unset:
   * the client endpoint.
   */
  GANTRY_S3_PUBLIC_ENDPOINT: z.url({ protocol: /^https?$/, error: 'an http(s) URL such as https://files.example.com' }).optional(),
  /** S3: the region (`auto` for Cloudflare R2). */
  GANTRY_S3_REGION: z.string().regex(/^[a-z0-9-]{1,32}$/).default('us-east-1'),
  /** S3: path-style URLs (`endpoint/bucket/key`), as MinIO and most self-hosted stores need. */
  GANTRY_S3_FORCE_PATH_STYLE: boolEnv.default(false),
  /**
   * S3: static credentials for this store (both or neither). Unset: the standard AWS chain
   * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, ECS/EC2 instance role).
   */
  GANTRY_S3_ACCESS_KEY_ID: z.string().min(1).max(256).optional(),
  GANTRY_S3_SECRET_ACCESS_KEY: z.string().min(1).max(256).optional(),
  /**
   * Presigned download URLs (S3 only): `off` (the API streams artifacts), `redirect` (the artifact
   * route answers 302 to a short-lived URL of the bucket), `urls` (redirect, and job views, stream
   * snapshots and webhooks carry each output's presigned URL with its expiry).
   */
  GANTRY_STORAGE_PRESIGN: z.enum(PRESIGN_MODES).default('off'),
  /** How long a presigned URL works, in seconds (redirects and job views; webhooks: GANTRY_WEBHOOK_PRESIGN_TTL_SEC). */
  GANTRY_STORAGE_PRESIGN_TTL_SEC: z.coerce.number().int().min(1).max(604_800).default(300),
};

export type StorageEnv = z.infer<z.ZodObject<typeof storageEnvShape>> & { GANTRY_ARTIFACT_DIR: string };

/** Rules between the storage variables, checked once each of them is valid on its own. */
export function storageEnvIssues(env: unknown): Array<{ variable: string; message: string }> {
  const e = env as Partial<StorageEnv>;
  if (e.GANTRY_STORAGE === undefined) return [];
  const issues: Array<{ variable: string; message: string }> = [];
  if (e.GANTRY_STORAGE === 's3' && !e.GANTRY_S3_BUCKET) issues.push({ variable: 'GANTRY_S3_BUCKET', message: 'required when GANTRY_STORAGE=s3' });
  if (!e.GANTRY_S3_ACCESS_KEY_ID !== !e.GANTRY_S3_SECRET_ACCESS_KEY) {
    issues.push({ variable: e.GANTRY_S3_ACCESS_KEY_ID ? 'GANTRY_S3_SECRET_ACCESS_KEY' : 'GANTRY_S3_ACCESS_KEY_ID', message: 'set both GANTRY_S3_ACCESS_KEY_ID and GANTRY_S3_SECRET_ACCESS_KEY, or neither' });
  }
  if (e.GANTRY_STORAGE === 'local' && e.GANTRY_STORAGE_PRESIGN !== undefined && e.GANTRY_STORAGE_PRESIGN !== 'off') {
    issues.push({ variable: 'GANTRY_STORAGE_PRESIGN', message: 'presigned URLs need GANTRY_STORAGE=s3 (the local store cannot sign URLs)' });
  }
  return issues;
}
