import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The `version` of the package.json in `packageDir`, or 0.0.0 when it cannot be read. */
export function readPackageVersion(packageDir: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
