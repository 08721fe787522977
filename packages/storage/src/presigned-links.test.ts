import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { presignedLinks } from './presigned-links';
import { S3ArtifactStore } from './s3-store';

/** presignedLinks without a store server: signing is local (an S3 client that never connects). */
const key = (c: string) => `sha256/${c}${c}/${c.repeat(64)}`;
const objects = [
  { id: 'a', storageKey: key('a'), filename: 'a.png', contentType: 'image/png' },
  { id: 'b', storageKey: key('b'), filename: 'b.mp4', contentType: 'video/mp4' },
];
const now = new Date('2030-01-02T03:04:05.999Z');

function store(credentials: S3ClientConfig['credentials']) {
  const client = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials });
  return new S3ArtifactStore({ client, bucket: 'renders' });
}

describe('presignedLinks', () => {
  it('signs every object at one whole second and states the expiry', async () => {
    const s3 = store({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    const links = (await presignedLinks(s3, objects, { ttlSec: 60 }, { now }))!;
    expect([...links.keys()]).toEqual(['a', 'b']);
    expect(links.get('a')!.expiresAt.toISOString()).toBe('2030-01-02T03:05:05.000Z');
    expect(new URL(links.get('b')!.url).searchParams.get('response-content-type')).toBe('video/mp4');
    await s3.close();
  });

  it('gives no links, and says why, when the credentials cannot be resolved (never a failed view)', async () => {
    const s3 = store(async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    });
    const errors: unknown[] = [];
    expect(await presignedLinks(s3, objects, { ttlSec: 60 }, { now, onError: (err) => errors.push(err) })).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: 'Object storage: signing a URL failed (no credentials)' });
    // The redirect route gets the same 503 error, not a bare failure.
    await expect(s3.presign(key('a'), { expiresInSec: 60 })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    await s3.close();
  });

  it('gives none when not enabled or with nothing to sign', async () => {
    const s3 = store({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    expect(await presignedLinks(s3, objects, null)).toBeUndefined();
    expect(await presignedLinks(s3, [], { ttlSec: 60 })).toBeUndefined();
    await s3.close();
  });
});
