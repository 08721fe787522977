import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readPackageVersion } from './package-version';

describe('readPackageVersion', () => {
  it('reads the version, and falls back to 0.0.0 without a readable package.json', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gantry-version-'));
    expect(readPackageVersion(dir)).toBe('0.0.0');
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '1.2.3' }));
    expect(readPackageVersion(dir)).toBe('1.2.3');
    writeFileSync(path.join(dir, 'package.json'), '{not json');
    expect(readPackageVersion(dir)).toBe('0.0.0');
  });
});
