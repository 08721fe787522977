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
