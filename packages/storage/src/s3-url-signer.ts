import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl, S3RequestPresigner } from '@aws-sdk/s3-request-presigner';

/** What a presigned GET of one object adds to the request. */
export interface SignGetOptions {
  expiresInSec: number;
  /** `response-content-disposition` the URL answers with. */
  contentDisposition?: string;
  /** `response-content-type` the URL answers with. */
  contentType?: string;
  signedAt?: Date;
}

/** The parts every presigned GET of this bucket shares, learnt from one URL the SDK signed. */
interface Template {
  protocol: string;
  hostname: string;
  port: number | undefined;
  host: string;
  /** The path before the object key: `/bucket/` (path style) or `/` (virtual-hosted). */
  basePath: string;
  /** Query parameters the SDK adds to every GetObject (`x-id`, `x-amz-checksum-mode`). */
  query: Record<string, string>;
  region: string;
  service: string;
}

/** Query parameters the signature itself adds; everything else in a signed URL belongs to the request. */
const SIGNATURE_PARAMS = new Set([
  'X-Amz-Algorithm', 'X-Amz-Content-Sha256', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
  'X-Amz-Security-Token', 'X-Amz-Signature', 'X-Amz-SignedHeaders',
]);
/** A key whose bytes in the URL are exactly its characters (content keys and prefixes are). */
const PLAIN_KEY = /^[A-Za-z0-9._\-/]+$/;

/**
 * Presigned GET URLs of one bucket, as `getSignedUrl` makes them but about ten times cheaper:
 * `getSignedUrl` runs the SDK's endpoint rules and middleware stack for every URL (about 1 ms of
 * CPU each), which a job list with hundreds of outputs would pay per request. This signs the first
 * URL with `getSignedUrl`, keeps its endpoint, path style, region and fixed query, and then only
 * signs (SigV4 query signing, the same S3RequestPresigner). The URLs are byte for byte those of
 * `getSignedUrl` (s3-url-signer.test.ts); a key with characters that would need escaping takes
 * the SDK's own path.
 */
export class S3UrlSigner {
  private template: Promise<Template | null> | null = null;
  private readonly presigner: S3RequestPresigner;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {
    this.presigner = new S3RequestPresigner({ ...client.config });
  }

  async sign(objectKey: string, options: SignGetOptions): Promise<string> {
    // A failed first signing (credentials not resolvable yet) is not remembered: the next call learns again.
    this.template ??= this.learn(objectKey).catch((err: unknown) => {
      this.template = null;
      throw err;
    });
    const template = PLAIN_KEY.test(objectKey) ? await this.template : null;
    if (!template) return this.sdkSign(objectKey, options);
    const query: Record<string, string> = { ...template.query };
    if (options.contentDisposition !== undefined) query['response-content-disposition'] = options.contentDisposition;
    if (options.contentType !== undefined) query['response-content-type'] = options.contentType;
    const signed = await this.presigner.presign(
      { method: 'GET', protocol: template.protocol, hostname: template.hostname, port: template.port, path: template.basePath + objectKey, headers: { host: template.host }, query },
      { expiresIn: options.expiresInSec, signingDate: options.signedAt, signingRegion: template.region, signingService: template.service },
    );
    return `${template.protocol}//${template.host}${signed.path}?${queryString(signed.query as Record<string, string>)}`;
  }

  private sdkSign(objectKey: string, options: SignGetOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: objectKey,
      ResponseContentDisposition: options.contentDisposition,
      ResponseContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: options.expiresInSec, signingDate: options.signedAt });
  }

  /** Signs `objectKey` the SDK's way once and reads the shared parts off that URL (null: it does not split cleanly). */
  private async learn(objectKey: string): Promise<Template | null> {
    const url = new URL(await this.sdkSign(objectKey, { expiresInSec: 60 }));
    const credential = url.searchParams.get('X-Amz-Credential')?.split('/') ?? [];
    const [region, service] = [credential.at(-3), credential.at(-2)];
    if (!url.pathname.endsWith(objectKey) || !region || !service) return null;
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) if (!SIGNATURE_PARAMS.has(name)) query[name] = value;
    return {
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      host: url.host,
      basePath: url.pathname.slice(0, url.pathname.length - objectKey.length),
      query,
      region,
      service,
    };
  }
}

/** As the SDK formats it: names sorted, RFC 3986 escaping. */
function queryString(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((name) => `${escape(name)}=${escape(query[name]!)}`)
    .join('&');
}

function escape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
