import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { apiEnvSchema } from '@gantry/api';
import { commonEnvSchema } from '@gantry/domain';
import { parseBackendList } from '@gantry/fleet';
import { envSchema as gpuSimEnvSchema } from '@gantry/gpu-sim';
import { workerEnvSchema } from '@gantry/worker';
import { parse, parseAllDocuments } from 'yaml';
import {
  apiClient,
  freePort,
  REPO_ROOT,
  startStack,
  StreamClient,
  waitUntil,
  type TestStack,
} from '@gantry/testing';
import { defaultWorkflow } from '../../../apps/api/test/fixtures';

/**
 * The deployment examples, checked statically against the code they deploy: deploy/k8s manifests
 * and docker-compose.yml (every container runs an entrypoint command that exists, sets only
 * variables its process's env schema declares, with values that schema accepts; ports, probes,
 * selectors, volumes and grace periods fit together), the Dockerfile, and deploy/nginx/gantry.conf
 * (`nginx -t`, then a real nginx proxying HTTP and the WebSocket to a real API).
 */

const read = (rel: string) => readFileSync(path.join(REPO_ROOT, rel), 'utf8');
type Obj = Record<string, any>;

/** The named commands of scripts/docker-entrypoint.sh's `case` (not its catch-all). */
function entrypointCommands(): Set<string> {
  const script = read('scripts/docker-entrypoint.sh');
  const body = script.slice(script.indexOf('case "$cmd" in'));
  const labels = [...body.matchAll(/^ {2}([a-z][a-z |-]*)\)\s*$/gm)].flatMap((m) => m[1]!.split('|').map((s) => s.trim()));
  return new Set(labels);
}

/** Variables each entrypoint command's process reads (its zod env schema), plus the health probe's. */
const PROBE_VARS = ['HEALTHCHECK_URL', 'HEALTHCHECK_TIMEOUT_MS', 'NODE_ENV'];
const SCHEMAS: Record<string, z.ZodObject<any> | undefined> = {
  api: apiEnvSchema,
  worker: workerEnvSchema,
  'gpu-sim': gpuSimEnvSchema as unknown as z.ZodObject<any>,
  migrate: commonEnvSchema.pick({ DATABASE_URL: true }),
  retention: workerEnvSchema,
};
const varsOf = (command: string) => new Set([...Object.keys(SCHEMAS[command]!.shape), ...PROBE_VARS]);

/** Compose files use `<<` merge keys (YAML 1.1), which the `yaml` package reads when asked. */
const YAML_OPTIONS = { merge: true } as const;

/** One YAML document; a syntax error or a duplicate key throws. */
const parseYaml = (source: string): unknown => parse(source, YAML_OPTIONS) as unknown;

/** Every document of a multi-document YAML file; a syntax error or a duplicate key fails the test, naming it. */
function parseYamlDocuments(source: string): unknown[] {
  return parseAllDocuments(source, YAML_OPTIONS).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0]!;
    return doc.toJS() as unknown;
  });
}

/** The k8s manifests: every document of every deploy/k8s/*.yaml, with its file. */
function loadManifests(): { file: string; doc: Obj }[] {
  const dir = path.join(REPO_ROOT, 'deploy/k8s');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) => parseYamlDocuments(readFileSync(path.join(dir, file), 'utf8')).map((doc) => ({ file, doc: doc as Obj })));
}

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];
const isGantryImage = (image: string) => /(^|\/)gantry:[\w.-]+$/.test(image);
/** `sleep N` of a container's preStop exec hook, in seconds (0 when none). */
const preStopSleep = (c: Obj): number => {
  const cmd: unknown[] = c.lifecycle?.preStop?.exec?.command ?? [];
  return cmd[0] === 'sleep' ? Number(cmd[1]) : 0;
};
const matches = (selector: Obj, labels: Obj) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('deploy/k8s manifests', () => {
  const manifests = loadManifests();
  const byKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind);
  const commands = entrypointCommands();
  const configMaps = new Map(byKind('ConfigMap').map((m) => [m.doc.metadata.name, m.doc.data as Obj]));
  const secrets = new Map(byKind('Secret').map((m) => [m.doc.metadata.name, { ...(m.doc.stringData ?? {}), ...(m.doc.data ?? {}) } as Obj]));
  const workloads = manifests.filter((m) => WORKLOADS.includes(m.doc.kind));
  const gantryContainers = workloads.flatMap(({ file, doc }) =>
    (doc.spec.template.spec.containers as Obj[]).filter((c) => isGantryImage(c.image)).map((c) => ({ file, doc, c, command: c.args?.[0] as string })),
  );

  it('parse, and each document names its apiVersion, kind and name in the gantry namespace', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(8);
    for (const { file, doc } of manifests) {
      expect({ file, apiVersion: typeof doc.apiVersion, kind: typeof doc.kind, name: typeof doc.metadata?.name }).toEqual({
        file,
        apiVersion: 'string',
        kind: 'string',
        name: 'string',
      });
      if (doc.kind !== 'Namespace' && file !== 'keda-scaledobject.yaml') expect({ file, ns: doc.metadata.namespace }).toEqual({ file, ns: 'gantry' });
    }
    expect(byKind('Deployment').map((m) => m.doc.metadata.name).sort()).toEqual(expect.arrayContaining(['gantry-api', 'gantry-worker-a100', 'gantry-worker-l4']));
    expect(byKind('Job').map((m) => m.doc.metadata.name)).toEqual(['gantry-migrate']);
    expect(byKind('Service').map((m) => m.doc.metadata.name)).toContain('gantry-api');
    expect(byKind('PodDisruptionBudget').map((m) => m.doc.metadata.name)).toContain('gantry-api');
  });

  it("run the image's entrypoint commands: api, worker, migrate", () => {
    expect(gantryContainers.length).toBeGreaterThanOrEqual(4);
    for (const { file, c, command } of gantryContainers) {
      expect({ file, container: c.name, known: commands.has(command) && SCHEMAS[command] !== undefined }).toEqual({ file, container: c.name, known: true });
    }
    expect(new Set(gantryContainers.map((g) => g.command))).toEqual(new Set(['api', 'worker', 'migrate']));
  });

  it("set only variables their process declares, with values its env schema accepts", () => {
    for (const { file, c, command } of gantryContainers) {
      const declared = varsOf(command);
      const env: Record<string, string> = {};
      const helpers = new Set<string>(); // set only to be expanded with $(NAME) in other values
      for (const from of (c.envFrom ?? []) as Obj[]) {
        const source = from.configMapRef ? configMaps.get(from.configMapRef.name) : secrets.get(from.secretRef?.name);
        expect({ file, envFrom: from, exists: source !== undefined }).toEqual({ file, envFrom: from, exists: true });
        for (const [k, v] of Object.entries(source ?? {})) {
          expect({ file, container: c.name, variable: k, declared: declared.has(k) }).toEqual({ file, container: c.name, variable: k, declared: true });
          env[k] = String(v);
        }
      }
      for (const e of (c.env ?? []) as Obj[]) {
        if (e.valueFrom?.fieldRef) {
          helpers.add(e.name);
          env[e.name] = 'gpu-node-1';
          continue;
        }
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        if (ref) {
          const source = e.valueFrom.secretKeyRef ? secrets.get(ref.name) : configMaps.get(ref.name);
          expect({ file, variable: e.name, ref, exists: source !== undefined && ref.key in source }).toEqual({ file, variable: e.name, ref, exists: true });
          env[e.name] = String(source?.[ref.key]);
        } else {
          expect({ file, variable: e.name, valueIsString: typeof e.value }).toEqual({ file, variable: e.name, valueIsString: 'string' });
          env[e.name] = String(e.value).replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (_, name: string) => {
            expect({ file, variable: e.name, expands: name, definedBefore: name in env }).toEqual({ file, variable: e.name, expands: name, definedBefore: true });
            return env[name] ?? '';
          });
        }
      }
      for (const name of Object.keys(env)) {
        if (helpers.has(name)) continue;
        expect({ file, container: c.name, variable: name, declared: declared.has(name) }).toEqual({ file, container: c.name, variable: name, declared: true });
      }
      const parsed = SCHEMAS[command]!.safeParse(Object.fromEntries(Object.entries(env).filter(([k]) => !helpers.has(k))));
      expect({ file, container: c.name, issues: parsed.success ? [] : parsed.error.issues }).toEqual({ file, container: c.name, issues: [] });
      if (command === 'worker') {
        const backends = parseBackendList(env.GANTRY_BACKENDS!);
        expect(backends).toHaveLength(1);
        // The worker serves exactly its own node's backend: the backend carries the worker's tags.
        const tags = env.GANTRY_WORKER_TAGS!.split(',');
        expect(tags.every((t) => backends[0]!.tags.includes(t))).toBe(true);
      }
    }
  });

  it('keep artifacts in an S3 bucket: no volume shared between pods, no ReadWriteMany claim', () => {
    const config = configMaps.get('gantry-config')!;
    expect(config).toMatchObject({ GANTRY_STORAGE: 's3', GANTRY_S3_BUCKET: expect.any(String) });
    expect(config.GANTRY_ARTIFACT_DIR).toBeUndefined();
    expect(byKind('PersistentVolumeClaim')).toEqual([]);
    for (const { file, doc, c, command } of gantryContainers.filter((g) => g.command !== 'migrate')) {
      expect({ file, command, envFrom: (c.envFrom as Obj[]).map((e) => e.configMapRef?.name) }).toEqual({ file, command, envFrom: expect.arrayContaining(['gantry-config']) });
      const volumes = (doc.spec.template.spec.volumes ?? []) as Obj[];
      expect({ file, command, shared: volumes.filter((v) => !v.emptyDir).map((v) => v.name) }).toEqual({ file, command, shared: [] });
      for (const m of (c.volumeMounts ?? []) as Obj[]) expect(volumes.map((v) => v.name)).toContain(m.name);
    }
  });

  it('api: probes on /livez and /readyz at its PORT, a Service and a PDB that select it, a grace period longer than its drain', () => {
    const { doc, c } = gantryContainers.find((g) => g.command === 'api')!;
    const pod = doc.spec.template.spec;
    const port = (c.ports as Obj[]).find((p) => p.name === 'http')!;
    expect(String(port.containerPort)).toBe((c.env as Obj[]).find((e) => e.name === 'PORT')!.value);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(matches(doc.spec.selector.matchLabels, doc.spec.template.metadata.labels)).toBe(true);
    // preStop, then the api's own drain (apps/api/src/main.ts: api.close(10 s)), then a margin.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopSleep(c) + 10 + 5);

    const service = byKind('Service').find((m) => m.doc.metadata.name === 'gantry-api')!.doc;
    expect(matches(service.spec.selector, doc.spec.template.metadata.labels)).toBe(true);
    for (const p of service.spec.ports as Obj[]) expect((c.ports as Obj[]).map((cp) => cp.name)).toContain(p.targetPort);
    const pdb = byKind('PodDisruptionBudget').find((m) => m.doc.metadata.name === 'gantry-api')!.doc;
    expect(matches(pdb.spec.selector.matchLabels, doc.spec.template.metadata.labels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(doc.spec.replicas);
  });

  it('workers: one Deployment per GPU node pool, GPU on the pod, grace period longer than the worker grace and the backend kept up meanwhile', () => {
    const workers = gantryContainers.filter((g) => g.command === 'worker');
    expect(workers.length).toBeGreaterThanOrEqual(2);
    const pools = new Set<string>();
    for (const { file, doc, c } of workers) {
      const pod = doc.spec.template.spec;
      expect(matches(doc.spec.selector.matchLabels, doc.spec.template.metadata.labels)).toBe(true);
      const pool = pod.nodeSelector?.['gantry.io/gpu-pool'];
      expect({ file, pool: typeof pool }).toEqual({ file, pool: 'string' });
      pools.add(pool);
      const gpus = (pod.containers as Obj[]).reduce((n, k) => n + Number(k.resources?.limits?.['nvidia.com/gpu'] ?? 0), 0);
      expect({ file, gpus: gpus > 0 }).toEqual({ file, gpus: true });
      const graceMs = Number((c.env as Obj[]).find((e) => e.name === 'GANTRY_SHUTDOWN_GRACE_MS')!.value);
      const podGraceS: number = pod.terminationGracePeriodSeconds;
      expect({ file, podGraceMs: podGraceS * 1000 > graceMs + preStopSleep(c) * 1000 + 5000 }).toEqual({ file, podGraceMs: true });
      // The GPU backend's container outlives the worker's grace (preStop) within the pod's grace.
      for (const other of (pod.containers as Obj[]).filter((k) => k !== c)) {
        expect({ file, container: other.name, sleep: preStopSleep(other) * 1000 >= graceMs, within: preStopSleep(other) < podGraceS }).toEqual({
          file,
          container: other.name,
          sleep: true,
          within: true,
        });
      }
    }
    expect(pools.size).toBe(workers.length);
  });

  it('migrate: a Job that does not restart in place', () => {
    const job = byKind('Job')[0]!.doc;
    expect(['Never', 'OnFailure']).toContain(job.spec.template.spec.restartPolicy);
    expect(job.spec.template.spec.containers[0].args).toEqual(['migrate']);
  });
});

describe('docker-compose.yml and Dockerfile', () => {
  const compose = parseYaml(read('docker-compose.yml')) as Obj;
  const services = compose.services as Record<string, Obj>;
  const commands = entrypointCommands();

  it('start in health-gated order, with healthchecks on every long-running service', () => {
    const completed = { condition: 'service_completed_successfully' };
    const healthy = { condition: 'service_healthy' };
    expect(services.migrate!.depends_on).toEqual({ postgres: healthy });
    expect(services.api!.depends_on).toEqual({ migrate: completed, postgres: healthy, redis: healthy });
    expect(services.worker!.depends_on).toMatchObject({ migrate: completed, redis: healthy, 'gpu-sim-0': healthy, 'gpu-sim-1': healthy });
    for (const [name, s] of Object.entries(services)) {
      if (name === 'migrate') expect(s.healthcheck).toEqual({ disable: true });
      else expect({ name, test: Array.isArray(s.healthcheck?.test) }).toEqual({ name, test: true });
    }
  });

  it("run entrypoint commands with variables their process declares", () => {
    for (const [name, s] of Object.entries(services)) {
      if (!String(s.image).includes('gantry')) continue;
      const command = s.command[0] as string;
      expect({ name, command, known: commands.has(command) && SCHEMAS[command] !== undefined }).toEqual({ name, command, known: true });
      // The compose file gives migrate the shared settings too (one anchor); it reads DATABASE_URL.
      const declared = command === 'migrate' ? new Set(Object.keys(commonEnvSchema.shape)) : varsOf(command);
      for (const variable of Object.keys(s.environment ?? {})) expect({ name, variable, declared: declared.has(variable) }).toEqual({ name, variable, declared: true });
    }
  });

  it('give the worker more time to stop than its grace period, and share the artifact volume', () => {
    const worker = services.worker!;
    const stopS = Number(/^(\d+)s$/.exec(worker.stop_grace_period)![1]);
    expect(stopS * 1000).toBeGreaterThan(Number(worker.environment.GANTRY_SHUTDOWN_GRACE_MS));
    for (const name of ['api', 'worker']) expect(services[name]!.volumes).toContain(`artifacts:${services[name]!.environment.GANTRY_ARTIFACT_DIR}`);
  });

  it('Dockerfile: non-root, health-checked, the entrypoint script, ports that match the defaults', () => {
    const dockerfile = read('Dockerfile');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER gantry$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*healthcheck\.mjs/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["\/bin\/sh", "\/app\/scripts\/docker-entrypoint\.sh"\]$/m);
    const exposed = /^EXPOSE (.+)$/m.exec(runtime)![1]!.split(/\s+/).map(Number);
    expect(exposed).toEqual([apiEnvSchema.shape.PORT.parse(undefined), Number(gpuSimEnvSchema.shape.GPU_SIM_PORT.parse(undefined))]);
  });
});

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

describe('deploy/nginx/gantry.conf', () => {
  let dir: string;
  let stack: TestStack;
  let proc: ChildProcess | undefined;
  let nginxPort: number;

  /** A minimal nginx.conf around the example (rewritten to these ports), under `dir`. */
  async function writeConfig(listenPort: number, apiPort: number): Promise<string> {
    const example = read('deploy/nginx/gantry.conf');
    const rewritten = example.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${listenPort};`).replace('server 127.0.0.1:8080 ', `server 127.0.0.1:${apiPort} `);
    expect(rewritten).not.toBe(example);
    await writeFile(path.join(dir, 'gantry.conf'), rewritten);
    const main = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/gantry.conf;
}
`;
    const file = path.join(dir, 'nginx.conf');
    await writeFile(file, main);
    return file;
  }

  beforeAll(async () => {
    if (!nginx) throw new Error('nginx is not installed: apt-get install -y nginx-light (.ci/run does this)');
    dir = await mkdtemp(path.join(tmpdir(), 'gantry-nginx-'));
    stack = await startStack({ gpus: 1 });
    nginxPort = await freePort();
    const conf = await writeConfig(nginxPort, stack.api.port);
    const check = spawnSync(nginx, ['-t', '-p', dir, '-c', conf], { encoding: 'utf8', timeout: 30_000 });
    expect({ status: check.status, output: check.stderr }).toEqual({ status: 0, output: expect.stringContaining('test is successful') });
    proc = spawn(nginx, ['-p', dir, '-c', conf], { stdio: 'ignore' });
    await waitUntil(async () => {
      const res = await fetch(`http://127.0.0.1:${nginxPort}/api/v1/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      return res?.status === 200 ? true : undefined;
    }, 20_000, 100);
  }, 120_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((resolve) => proc!.once('exit', resolve));
      proc.kill('SIGQUIT'); // graceful stop of the master and its worker
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes nginx -t and proxies the API: a job submitted and followed over the WebSocket through nginx', async () => {
    const viaNginx = `http://127.0.0.1:${nginxPort}`;
    const client = apiClient(viaNginx, stack.adminKey);
    const stream = await StreamClient.connect(viaNginx, { key: stack.adminKey });
    try {
      await stream.next((m) => m.type === 'ready');
      const res = await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 3, seed: 7, width: 64, height: 64 }) });
      expect(res.status).toBe(202);
      stream.send({ type: 'subscribe', jobId: res.body.id, since: 0 });
      await stream.next((m) => m.type === 'event' && m.jobId === res.body.id && m.event?.type === 'state' && m.event.status === 'succeeded', 45_000);
      const job = await client('GET', `/api/v1/jobs/${res.body.id}`);
      const artifact = await client('GET', job.body.artifacts[0].url);
      expect({ status: artifact.status, type: artifact.headers.get('content-type'), png: Buffer.isBuffer(artifact.body) && artifact.body.subarray(1, 4).toString() }).toEqual({
        status: 200,
        type: 'image/png',
        png: 'PNG',
      });
    } finally {
      stream.close();
    }
  }, 90_000);

  it('refuses bodies over the API limit at the proxy (413)', async () => {
    const res = await fetch(`http://127.0.0.1:${nginxPort}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: {}, pad: 'x'.repeat(11 * 1024 * 1024) }),
      signal: AbortSignal.timeout(20_000),
    }).catch((err: Error) => ({ status: `error: ${err.message}` }));
    expect(res.status).toBe(413);
  });
});
