import { DashboardError } from './errors.js';

/** The element with `id`, of the expected type; `MISSING_ELEMENT` if index.html lacks it. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new DashboardError('MISSING_ELEMENT', `index.html has no <${type.name}> #${id}`);
  return el;
}
