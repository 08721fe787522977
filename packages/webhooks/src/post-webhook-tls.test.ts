import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebhookAllowlist } from './allowlist';
import { postWebhook } from './post-webhook';
import { vetWebhookTarget } from './target-policy';

/** HTTPS through the pinned address: the certificate is still checked against the URL's hostname. */
describe('postWebhook over TLS', () => {
  let dir: string;
  let cert: Buffer;
  let server: https.Server;
  let port: number;
  const sni: (string | undefined)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gantry-webhook-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=hooks.example.test', '-addext', 'subjectAltName=DNS:hooks.example.test',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = readFileSync(path.join(dir, 'cert.pem'));
    server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert }, (req, res) => {
      sni.push((req.socket as unknown as { servername?: string }).servername);
      req.resume();
      req.on('end', () => res.writeHead(202).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const target = (host: string) =>
    vetWebhookTarget(`https://${host}:${port}/hook`, {
      allowlist: WebhookAllowlist.parse('127.0.0.1'),
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    });

  it('sends SNI and verifies the certificate for the hostname while connecting to the pinned address', async () => {
    const result = await postWebhook({ target: await target('hooks.example.test'), body: '{}', headers: {}, timeoutMs: 10_000, ca: cert });
    expect(result).toMatchObject({ kind: 'response', statusCode: 202 });
    expect(sni).toEqual(['hooks.example.test']);
  });

  it('refuses a certificate that does not name the host', async () => {
    const result = await postWebhook({ target: await target('other.example.test'), body: '{}', headers: {}, timeoutMs: 10_000, ca: cert });
    expect(result).toMatchObject({ kind: 'error', timedOut: false });
    if (result.kind === 'error') expect(result.error).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/i);
  });

  it('refuses a certificate it does not trust', async () => {
    const result = await postWebhook({ target: await target('hooks.example.test'), body: '{}', headers: {}, timeoutMs: 10_000 });
    expect(result).toMatchObject({ kind: 'error', timedOut: false });
  });
});
