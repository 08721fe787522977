import { createHash } from 'node:crypto';

import { checksumMatches, migrationChecksum } from './checksum.js';

describe('migrationChecksum', () => {
  it('is the zero-padded sha256 hex of the UTF-8 script, like Prisma', () => {
    // The expected value is the one in Prisma's own test (checksum.rs).
    expect(migrationChecksum('hello')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    const script = 'CREATE TABLE "é" ();\n';
    expect(migrationChecksum(script)).toBe(createHash('sha256').update(Buffer.from(script, 'utf8')).digest('hex'));
    expect(migrationChecksum('abcd')).toHaveLength(64);
  });
});

describe('checksumMatches', () => {
  it('accepts the same script and refuses another', () => {
    expect(checksumMatches('abc', migrationChecksum('abc'))).toBe(true);
    expect(checksumMatches('abc', migrationChecksum('abcd'))).toBe(false);
    expect(checksumMatches('abc\n', migrationChecksum('abc'))).toBe(false);
  });

  it('ignores LF/CRLF differences, as Prisma does (the cases of its own test)', () => {
    const groups = [
      ['ab\ncd\nef\ngh\rab', 'ab\r\ncd\r\nef\r\ngh\rab'],
      ['ab\ncd\nef\ngh\rab\n', 'ab\r\ncd\r\nef\r\ngh\rab\r\n'],
    ];
    for (const group of groups) {
      for (const script of group) {
        for (const other of group) expect(checksumMatches(script, migrationChecksum(other))).toBe(true);
      }
    }
  });

  it('accepts the unpadded checksums old Prisma versions stored', () => {
    // A script whose digest has a byte below 0x10, so the old rendering is shorter than 64.
    const script = scriptWithSmallDigestByte();
    const old = [...createHash('sha256').update(script).digest()].map((b) => b.toString(16)).join('');
    expect(old.length).toBeLessThan(64);
    expect(checksumMatches(script, old)).toBe(true);
    expect(checksumMatches(`${script} `, old)).toBe(false);
  });
});

function scriptWithSmallDigestByte(): string {
  for (let i = 0; ; i += 1) {
    const script = `SELECT ${i};`;
    if ([...createHash('sha256').update(script).digest()].some((b) => b < 16)) return script;
  }
}
