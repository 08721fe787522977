import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import { metricSet } from './registry.js';

const COMMIT_RE = /^[0-9a-f]{7,40}$/i;

/**
 * The commit this process runs: `GANTRY_COMMIT` when set, else `git rev-parse HEAD` in the
 * repository (when git and a checkout are there, e.g. in development), else null. Read once at start.
 */
export function resolveCommit(fromEnv: string | undefined, repoRoot = path.resolve(__dirname, '../../..')): string | null {
  if (fromEnv) return fromEnv;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return COMMIT_RE.test(out) ? out : null;
  } catch {
    return null;
  }
}

/** `gantry_build_info{version, commit} 1`: which build each instance runs. */
export const buildInfoMetrics = metricSet((registry: Registry) => ({
  info: new Gauge({
    name: 'gantry_build_info',
    help: 'Always 1; the labels say which version and commit this instance runs (commit "unknown" when not known).',
    labelNames: ['version', 'commit'] as const,
    registers: [registry],
  }),
}));

/** Sets the build info gauge. */
export function recordBuildInfo(registry: Registry, version: string, commit: string | null): void {
  buildInfoMetrics(registry).info.set({ version, commit: commit ?? 'unknown' }, 1);
}
