import { commonEnvSchema, parseEnv } from './config';

describe('storage configuration', () => {
  it('defaults to the local store and normalises the S3 prefix', () => {
    expect(parseEnv(commonEnvSchema, {})).toMatchObject({ GANTRY_STORAGE: 'local', GANTRY_S3_PREFIX: '', GANTRY_STORAGE_PRESIGN: 'off' });
    const env = parseEnv(commonEnvSchema, { GANTRY_STORAGE: 's3', GANTRY_S3_BUCKET: 'renders', GANTRY_S3_PREFIX: 'gantry/prod' });
    expect(env).toMatchObject({ GANTRY_S3_PREFIX: 'gantry/prod/', GANTRY_S3_REGION: 'us-east-1', GANTRY_S3_FORCE_PATH_STYLE: false });
  });

  it('stops with a message naming each variable that is wrong, never its value', () => {
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE: 's3' })).toThrow('GANTRY_S3_BUCKET: required when GANTRY_STORAGE=s3');
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE: 'gcs' })).toThrow(/GANTRY_STORAGE:/);
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE: 's3', GANTRY_S3_BUCKET: 'Bad_Bucket' })).toThrow(/GANTRY_S3_BUCKET: an S3 bucket name/);
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE: 's3', GANTRY_S3_BUCKET: 'ok-bucket', GANTRY_S3_PREFIX: '../x' })).toThrow(/GANTRY_S3_PREFIX/);
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE: 's3', GANTRY_S3_BUCKET: 'ok-bucket', GANTRY_S3_ENDPOINT: 'not a url' })).toThrow(/GANTRY_S3_ENDPOINT/);
    const halfKeys = () => parseEnv(commonEnvSchema, { GANTRY_STORAGE: 's3', GANTRY_S3_BUCKET: 'ok-bucket', GANTRY_S3_ACCESS_KEY_ID: 'AKIASECRETVALUE' });
    expect(halfKeys).toThrow('GANTRY_S3_SECRET_ACCESS_KEY: set both GANTRY_S3_ACCESS_KEY_ID and GANTRY_S3_SECRET_ACCESS_KEY, or neither');
    expect(halfKeys).not.toThrow(/AKIASECRETVALUE/);
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE_PRESIGN: 'redirect' })).toThrow('GANTRY_STORAGE_PRESIGN: presigned URLs need GANTRY_STORAGE=s3');
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE_PRESIGN: 'urls' })).toThrow('GANTRY_STORAGE_PRESIGN: presigned URLs need GANTRY_STORAGE=s3');
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE_PRESIGN: 'always' })).toThrow(/GANTRY_STORAGE_PRESIGN:/);
    expect(() => parseEnv(commonEnvSchema, { GANTRY_STORAGE: 's3', GANTRY_S3_BUCKET: 'ok-bucket', GANTRY_S3_PUBLIC_ENDPOINT: 'minio:9000' })).toThrow(/GANTRY_S3_PUBLIC_ENDPOINT/);
  });

  it('accepts presigned URLs in views with an S3 store and a public endpoint', () => {
    const env = parseEnv(commonEnvSchema, { GANTRY_STORAGE: 's3', GANTRY_S3_BUCKET: 'ok-bucket', GANTRY_STORAGE_PRESIGN: 'urls', GANTRY_S3_PUBLIC_ENDPOINT: 'https://files.example.com' });
    expect(env).toMatchObject({ GANTRY_STORAGE_PRESIGN: 'urls', GANTRY_S3_PUBLIC_ENDPOINT: 'https://files.example.com' });
  });
});
