/** The abort reason of jobs interrupted because their worker is stopping: they are handed back, not canceled. */
export class WorkerShutdown extends Error {
  constructor() {
    super('worker shutting down');
    this.name = 'WorkerShutdown';
  }
}
