/**
 * Requests index.html starts before the bundle has loaded (see its inline script): the first render waits on
 * the catalogue, and asking for it while the map library downloads and compiles saves that wait.
 */
declare global {
  interface Window { __cityhubPrefetch?: Record<string, Promise<Response>> }
}

/**
 * The response index.html already asked for at `url` (same origin, same path and query), once: a second ask
 * fetches again, so a refresh never reads a stale answer.
 */
export function takePrefetched(url: string): Promise<Response> | undefined {
  const u = new URL(url);
  if (u.origin !== window.location.origin) return undefined;
  const key = u.pathname + u.search;
  const all = window.__cityhubPrefetch;
  const hit = all?.[key];
  if (hit && all) delete all[key];
  return hit;
}
