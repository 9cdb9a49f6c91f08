/**
 * A crowd of /api/v1/live WebSocket clients in a process of its own, so that reading what they receive
 * does not load the process that measures the hub. Frames are counted, not parsed (the readings in a
 * frame are counted by their `"type":"reading"` marks). IPC: 'start' { url, n } → 'result' { open,
 * refused }; 'report' → 'result' { frames, bytes, readings, minReadings, closes }; 'stop' closes them all.
 */
import WebSocket from 'ws';

interface Member { ws: WebSocket; readings: number }
const members: Member[] = [];
const closes: Record<string, number> = {};
let frames = 0;
let bytes = 0;
const MARK = Buffer.from('"type":"reading"');

function count(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(MARK); i >= 0; i = buf.indexOf(MARK, i + MARK.length)) n++;
  return n;
}

/** Opens one client; resolves with null once its hello came, or with its close code and reason. */
function open(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const m: Member = { ws, readings: 0 };
    let hello = false;
    ws.on('message', (data: Buffer) => {
      frames++;
      bytes += data.length;
      if (!hello) {
        hello = true;
        members.push(m);
        resolve(null);
        return;
      }
      m.readings += count(data);
    });
    ws.on('close', (code, reason) => {
      const key = `${code} ${reason.toString()}`;
      closes[key] = (closes[key] ?? 0) + 1;
      if (!hello) resolve(key);
    });
    ws.on('error', () => undefined);
  });
}

process.on('message', (msg: { type: string; url?: string; n?: number }) => {
  void (async () => {
    if (msg.type === 'start') {
      const refused: string[] = [];
      // In slices, so that the hub's accept queue is not the limit being measured.
      for (let i = 0; i < msg.n!; i += 100) {
        const got = await Promise.all(Array.from({ length: Math.min(100, msg.n! - i) }, () => open(msg.url!)));
        for (const r of got) if (r) refused.push(r);
      }
      process.send!({ type: 'result', result: { open: members.length, refused } });
    } else if (msg.type === 'report') {
      const readings = members.reduce((n, m) => n + m.readings, 0);
      const minReadings = members.reduce((n, m) => Math.min(n, m.readings), Infinity);
      process.send!({ type: 'result', result: { frames, bytes, readings, minReadings: members.length ? minReadings : 0, closes } });
    } else if (msg.type === 'stop') {
      for (const m of members.splice(0)) m.ws.terminate();
      process.send!({ type: 'result', result: {} });
    }
  })();
});
