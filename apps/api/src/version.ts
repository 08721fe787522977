import path from 'node:path';
import { readPackageVersion } from '@gantry/metrics';

/** The API's version, from its package.json (works from src and from dist). */
export function readVersion(): string {
  return readPackageVersion(path.join(__dirname, '..'));
}
