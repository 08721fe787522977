/** Redis key of a backend's shared health hash. */
export function healthKey(prefix: string, backendId: string): string {
  return `${prefix}:backend:${backendId}`;
}

/**
 * Redis key of a backend's prompt submissions (a sorted set: member a submission's token, score
 * the time it ended, or its upper bound while it is in flight): see HealthStore.whileAccepting.
 */
export function acceptingKey(prefix: string, backendId: string): string {
  return `${prefix}:backend:${backendId}:accepting`;
}

/** Redis key of the short lock that lets one worker probe a backend per interval. */
export function probeLockKey(prefix: string, backendId: string): string {
  return `${prefix}:backend:${backendId}:probe`;
}
