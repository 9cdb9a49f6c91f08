import { DashboardError } from '../page/errors.js';

/** The element with `id`, of the expected type; `MISSING_ELEMENT` if index.html lacks it. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new DashboardError('MISSING_ELEMENT', `index.html has no <${type.name}> #${id}`);
  return el;
}

/** A new element with an optional class and text (always text: names come from data, never markup). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A `type="button"` button. */
export function button(text: string, cls: string, onClick: () => void, label?: string): HTMLButtonElement {
  const b = el('button', cls, text);
  b.type = 'button';
  if (label) b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

/**
 * A row of toggle buttons of which one is pressed (`aria-pressed`), like radio buttons but each a plain tab
 * stop that Enter and Space press. `onPick` gets the chosen key.
 */
export function segmented<K extends string>(label: string, options: readonly { key: K; text: string }[], current: K,
  onPick: (key: K) => void): { root: HTMLElement; set(key: K): void } {
  const root = el('div', 'segmented');
  root.setAttribute('role', 'group');
  root.setAttribute('aria-label', label);
  const buttons = options.map((o) => {
    const b = button(o.text, 'seg', () => {
      set(o.key);
      onPick(o.key);
    });
    b.dataset.key = o.key;
    return b;
  });
  const set = (key: K) => {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.key === key));
  };
  set(current);
  root.append(...buttons);
  return { root, set };
}

/** A labelled `<select>`; `onPick` gets the chosen value. */
export function select<K extends string>(id: string, label: string, options: readonly { key: K; text: string }[], current: K,
  onPick: (key: K) => void): { root: HTMLElement; input: HTMLSelectElement } {
  const root = el('label', 'select');
  root.htmlFor = id;
  root.append(el('span', 'select-label', label));
  const input = el('select');
  input.id = id;
  for (const o of options) input.append(new Option(o.text, o.key, false, o.key === current));
  input.addEventListener('change', () => onPick(input.value as K));
  root.append(input);
  return { root, input };
}
