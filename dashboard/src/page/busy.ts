/**
 * Counts the page's work in flight (fetches, chart loads, map repaints) so a test can wait until the
 * dashboard has settled instead of sleeping. The dashboard itself only reports into it.
 */
export class Busy {
  private pending = 0;
  private waiters: (() => void)[] = [];

  /** Counts `p` until it settles; returns it unchanged. */
  track<T>(p: Promise<T>): Promise<T> {
    this.pending++;
    const done = () => {
      this.pending--;
      // Work that finishes often starts more in its continuation: check again after it has had a chance.
      setTimeout(() => this.release(), 0);
    };
    p.then(done, done);
    return p;
  }

  /** Resolves once nothing has been in flight for one macrotask. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      setTimeout(() => this.release(), 0);
    });
  }

  private release(): void {
    if (this.pending > 0) return;
    for (const w of this.waiters.splice(0)) w();
  }
}
