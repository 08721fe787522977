import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { apiClient, startS3Server, startStack, type TestS3Server, type TestStack, jobEnd } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/**
 * Outputs stream from the backend into the S3 store under GANTRY_OUTPUT_MAX_BYTES: an output over
 * the ceiling fails the job (BACKEND_ERROR, not retried) and leaves nothing in the bucket; one
 * under it is stored under its content key and nothing else.
 */
describe('output byte ceiling with the S3 store', () => {
  let s3: TestS3Server;
  let stack: TestStack;
  let bucket: S3Client;
  beforeAll(async () => {
    s3 = await startS3Server();
    stack = await startStack({ gpus: 1, worker: false, apiEnv: s3.env('ceiling') });
    bucket = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
  }, 120_000);
  afterAll(async () => {
    bucket?.destroy();
    await stack?.close();
    await s3?.close();
  });

  const keys = async () => ((await bucket.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'ceiling/' }))).Contents ?? []).map((o) => o.Key!);
  const run = async (width: number) => {
    const admin = apiClient(stack.url, stack.adminKey);
    const submit = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1, width, height: 64 }) });
    return jobEnd(admin, submit.body.id, 20_000);
  };

  it('fails an output over the ceiling and stores one under it', async () => {
    const worker = await stack.startWorker({ ...s3.env('ceiling'), GANTRY_OUTPUT_MAX_BYTES: '1024' });
    const failed = await run(64);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'BACKEND_ERROR' } });
    expect(await keys()).toEqual([]);
    await worker.close();

    await stack.startWorker({ ...s3.env('ceiling'), GANTRY_OUTPUT_MAX_BYTES: String(64 * 1024 * 1024) });
    const ok = await run(64);
    expect(ok.status).toBe('succeeded');
    expect(await keys()).toEqual([expect.stringMatching(/^ceiling\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/)]);
  });
});
