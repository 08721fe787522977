import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The worker's version, from its package.json (works from src and from dist). */
export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
