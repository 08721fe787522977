/** s3rver's file store (no types of its own): the prototype its writes are replaced on (s3rver-durable-writes.ts). */
declare module 's3rver/lib/stores/filesystem.js' {
  const FilesystemStore: { prototype: Record<string, unknown> };
  export default FilesystemStore;
}
