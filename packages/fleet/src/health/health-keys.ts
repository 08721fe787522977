/** Redis key of a backend's shared health hash. */
export function healthKey(prefix: string, backendId: string): string {
  return `${prefix}:backend:${backendId}`;
}

/** Redis key of the short lock that lets one worker probe a backend per interval. */
export function probeLockKey(prefix: string, backendId: string): string {
  return `${prefix}:backend:${backendId}:probe`;
}
