/** Redis pub/sub channel names, in one place. The prefix keeps test runs apart. */
export function eventsChannel(prefix: string): string {
  return `${prefix}:events`;
}

export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

export function previewsChannel(prefix: string): string {
  return `${prefix}:previews`;
}

/** A backend slot lease was released (message: `<releasing instance> <backend id>`): workers' intake gates look again. */
export function leaseFreedChannel(prefix: string): string {
  return `${prefix}:lease-freed`;
}
