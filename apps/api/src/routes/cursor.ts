import { AppError, isUuid } from '@gantry/domain';

/** Opaque page cursors: the last id of a page, base64url-encoded so clients do not build them. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id)) {
    throw new AppError('VALIDATION_FAILED', 'The cursor is invalid', {
      details: [{ path: 'cursor', message: 'not a cursor returned by this API', code: 'invalid_cursor' }],
    });
  }
  return id;
}

/**
 * Keyset pagination: the list queries fetch `limit + 1` rows (`fetchLimit`); the extra row only
 * says whether another page follows. Returns the page and the cursor of the next one (or null).
 */
export function pageOf<T extends { id: string }>(rows: T[], limit: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

/** Rows a list query fetches for a page of `limit` (one more, to know whether a next page exists). */
export const fetchLimit = (limit: number): number => limit + 1;
