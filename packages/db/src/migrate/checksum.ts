/**
 * Migration checksums exactly as Prisma's schema engine computes and compares them
 * (schema-engine/connectors/schema-connector/src/checksum.rs), so rows written by either tool
 * verify under the other.
 */
import { createHash } from 'node:crypto';

/** Length of a current-format checksum: SHA-256 as zero-padded lowercase hex. */
const CHECKSUM_LENGTH = 64;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The checksum Prisma stores in `_prisma_migrations.checksum`: sha256 hex of the script's UTF-8. */
export function migrationChecksum(script: string): string {
  return sha256(script).toString('hex');
}

/**
 * Whether a script matches a stored checksum, accepting what Prisma accepts: the script as is, with
 * CRLF turned into LF, or with every LF turned into CRLF (git may rewrite line endings on checkout),
 * and for old rows, the unpadded hex Prisma once wrote (prisma-engines issue 1887).
 */
export function checksumMatches(script: string, checksum: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')];
  const oldFormat = checksum.length !== 0 && checksum.length !== CHECKSUM_LENGTH;
  return variants.some((variant) => {
    const digest = sha256(variant);
    const rendered = oldFormat ? [...digest].map((byte) => byte.toString(16)).join('') : digest.toString('hex');
    return rendered === checksum;
  });
}
