/**
 * Listens to the hub's /api/v1/live WebSocket in a process of its own (run with --experimental-websocket
 * on Node 20) and measures, for each reading, now − ts: the generator sets ts to the send time, so this is
 * the publish → live latency. IPC: 'start' { url } → 'ready'; 'mark' { sampleFrom } starts counting
 * (readings stamped before sampleFrom are counted, not sampled); 'report' answers what was seen since.
 */
const samples: number[] = [];
let counting = false;
let total = 0;
/** Readings stamped before this are counted but not sampled (the warm-up). */
let sampleFrom = 0;

process.on('message', (m: { type: string; url?: string; sampleFrom?: number }) => {
  if (m.type === 'start') {
    const ws = new WebSocket(m.url!);
    ws.onmessage = (ev: MessageEvent) => {
      const now = Date.now();
      const msg = JSON.parse(String(ev.data)) as { type: string; readings?: Array<{ ts: string }> };
      if (msg.type === 'hello') {
        process.send!({ type: 'ready' });
        return;
      }
      if (msg.type !== 'readings' || !counting) return;
      for (const r of msg.readings!) {
        total++;
        const ts = Date.parse(r.ts);
        if (ts >= sampleFrom) samples.push(now - ts);
      }
    };
    ws.onerror = () => process.send!({ type: 'error', message: 'live WebSocket failed' });
  } else if (m.type === 'mark') {
    samples.length = 0;
    total = 0;
    sampleFrom = m.sampleFrom ?? 0;
    counting = true;
  } else if (m.type === 'report') {
    counting = false;
    process.send!({ type: 'result', result: { samples: [...samples], total } });
  }
});
