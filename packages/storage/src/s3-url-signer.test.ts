import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from './content-disposition';
import { S3UrlSigner } from './s3-url-signer';

/**
 * The fast signer must make exactly the URLs the SDK's getSignedUrl makes (signing is offline:
 * nothing here talks to a store).
 */
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const configs: Array<[string, S3ClientConfig]> = [
  ['a path-style endpoint with a port (MinIO, s3rver)', { region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials }],
  ['AWS, virtual-hosted', { region: 'eu-west-3', credentials }],
  ['AWS with session credentials', { region: 'us-west-2', credentials: { ...credentials, sessionToken: 'FwoGZXIvYXdzEXAMPLE/token+with=chars' } }],
  ['an https endpoint (R2)', { region: 'auto', endpoint: 'https://0123456789abcdef.r2.cloudflarestorage.com', credentials }],
];
const keys = [`gantry/sha256/ab/${'ab'.repeat(32)}`, `sha256/0f/${'0f'.repeat(32)}`];
const signingDate = new Date('2030-06-07T08:09:10Z');

describe.each(configs)('S3UrlSigner with %s', (_name, config) => {
  const client = new S3Client(config);
  afterAll(() => client.destroy());

  it('signs byte for byte as getSignedUrl, with and without response overrides', async () => {
    const signer = new S3UrlSigner(client, 'renders-bucket');
    const cases = [
      { contentDisposition: contentDisposition('café "1" (final)!.png'), contentType: 'image/png' },
      {},
      { contentType: 'video/mp4' },
    ];
    for (const key of keys) {
      for (const extra of cases) {
        const expected = await getSignedUrl(
          client,
          new GetObjectCommand({ Bucket: 'renders-bucket', Key: key, ResponseContentDisposition: extra.contentDisposition, ResponseContentType: extra.contentType }),
          { expiresIn: 300, signingDate },
        );
        expect(await signer.sign(key, { expiresInSec: 300, signedAt: signingDate, ...extra })).toBe(expected);
      }
    }
  });

  it('leaves a key that would need escaping to the SDK', async () => {
    const signer = new S3UrlSigner(client, 'renders-bucket');
    const key = 'odd key/é+x';
    const expected = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'renders-bucket', Key: key }), { expiresIn: 60, signingDate });
    expect(await signer.sign(key, { expiresInSec: 60, signedAt: signingDate })).toBe(expected);
  });
});
