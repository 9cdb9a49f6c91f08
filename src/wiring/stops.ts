import type { Logger } from '../ops/logger.js';

/** Stop functions run in reverse order of their start; an error in one is logged and the rest still run. */
export class Stops {
  private readonly list: Array<[string, () => Promise<void>]> = [];
  constructor(private readonly log: Logger) {}
  push(name: string, fn: () => Promise<void> | void): void {
    this.list.push([name, async () => { await fn(); }]);
  }
  async run(): Promise<void> {
    for (const [name, fn] of this.list.reverse()) {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err, part: name }, 'error while stopping');
      }
    }
    this.list.length = 0;
  }
}
