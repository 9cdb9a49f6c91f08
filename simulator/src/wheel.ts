/** A running {@link startWheel}. */
export interface Wheel { stop(): void }

/**
 * Fires `fire(i)` for each of `n` slots once every `intervalMs`, from one timer instead of one per slot.
 * Slot i's phase is (i + u_i / 2) / n of the interval (u_i random in [0, 1)), so the slots are spread over
 * the interval and keep their order: the wheel only ever needs the next slot's time.
 *
 * If the process stalls, late slots fire late (once each) and a round that starts more than one interval
 * behind skips ahead to the current one, so a stall never causes a burst of catch-up readings.
 */
export function startWheel(n: number, intervalMs: number, fire: (i: number) => void, now: () => number = Date.now): Wheel {
  if (n === 0) return { stop() {} };
  const offsets = Array.from({ length: n }, (_, i) => ((i + Math.random() / 2) * intervalMs) / n);
  const start = now();
  let round = 0;
  let slot = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const due = () => start + round * intervalMs + offsets[slot]!;

  const step = (): void => {
    timer = undefined;
    if (stopped) return;
    // At most one round per turn of the event loop, so sockets and acks get their turn too.
    for (let fired = 0; fired < n && due() <= now(); fired++) {
      fire(slot);
      if (stopped) return;
      slot++;
      if (slot === n) {
        slot = 0;
        round++;
        const behind = Math.floor((now() - start - offsets[0]!) / intervalMs);
        if (behind > round) round = behind;
      }
    }
    timer = setTimeout(step, Math.max(0, due() - now()));
  };
  timer = setTimeout(step, Math.max(0, due() - now()));
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
