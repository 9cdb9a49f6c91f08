import { createRequire } from 'node:module';

/**
 * mqtt-packet, which parses and writes every MQTT packet the broker handles (and the hub's own MQTT clients send),
 * logs through `debug` some fifteen times a packet. A disabled `debug` logger returns at once, but its rest parameter
 * has already allocated an array: in a flood of 20 devices that was 1.3 kB of garbage a reading, 7 % of everything
 * the acknowledging thread allocated (V8's sampling heap profiler, collected objects included). So, before
 * mqtt-packet loads, `debug` is made to hand out a logger that does nothing for every namespace not enabled when the
 * logger is made. `DEBUG=mqtt-packet:*` (or any namespace) set at start logs as before; only a namespace enabled
 * later, from code, no longer reaches loggers made before.
 *
 * `cityhub` imports this first (src/cli.ts), before anything that loads aedes or mqtt.
 */
interface DebugFactory {
  (namespace: string): unknown;
  enabled(namespace: string): boolean;
}

export const QUIETED = Symbol.for('cityhub.quietDebug');

/** A logger that does nothing, with what callers of a `debug` logger read. */
export function quietLogger(namespace: string): ((...args: unknown[]) => void) & { enabled: false; namespace: string } {
  return Object.assign(() => undefined, {
    enabled: false as const, namespace, destroy: () => true,
    extend: (sub: string, delimiter = ':') => quietLogger(`${namespace}${delimiter}${sub}`),
  });
}

/** The `debug` module files mqtt-packet loads, through aedes and through mqtt. */
function debugPaths(): string[] {
  const here = createRequire(import.meta.url);
  const paths = new Set<string>();
  for (const pkg of ['aedes', 'mqtt']) {
    try {
      const packet = createRequire(createRequire(here.resolve(pkg)).resolve('mqtt-packet'));
      paths.add(packet.resolve('debug'));
    } catch {
      // Not installed here: nothing of it to quiet.
    }
  }
  return [...paths];
}

/** Makes `debug`, as mqtt-packet resolves it, hand out `quietLogger`s for namespaces not enabled; once per process. */
export function quietDebug(): void {
  const require = createRequire(import.meta.url);
  for (const path of debugPaths()) {
    require(path);
    const mod = require.cache[path];
    if (!mod || (mod.exports as Record<symbol, unknown>)[QUIETED]) continue;
    const original = mod.exports as DebugFactory;
    mod.exports = new Proxy(original, {
      apply: (target, self, args: [string]) => (target.enabled(args[0]) ? Reflect.apply(target, self, args) : quietLogger(args[0])),
      get: (target, key, receiver) => (key === QUIETED ? true : (Reflect.get(target, key, receiver) as unknown)),
    });
  }
}

quietDebug();
