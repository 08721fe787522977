/**
 * `Content-Disposition: inline` naming the file (RFC 6266): an ASCII fallback in `filename` and the
 * exact name, percent-encoded, in `filename*`. Used by the API's artifact route and by presigned
 * URLs, so a download is named the same either way.
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `inline; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
