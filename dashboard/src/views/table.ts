import { el } from '../ui/dom.js';

/** A column of a sortable table: its header, how a row shows in it and, if sortable, its sort key. */
export interface Column<R, K extends string> {
  header: string;
  cell: (row: R) => string | Node;
  key?: K;
  numeric?: boolean;
  title?: string;
}

/**
 * A table whose sortable headers are buttons (keyboard reachable; `aria-sort` says the order). The caller
 * sorts: `onSort` gets the key and direction, then calls `render` with the rows in that order.
 */
export class SortableTable<R, K extends string> {
  readonly root = el('table', 'data-table');
  private readonly head = el('thead');
  private readonly body = el('tbody');

  constructor(
    caption: string,
    private readonly columns: readonly Column<R, K>[],
    private sort: { key: K; ascending: boolean },
    private readonly onSort: (key: K, ascending: boolean) => void,
    private readonly rowAction?: {
      label: (row: R) => string;
      run: (row: R) => void;
      /** A click anywhere on the row runs it too (the first cell's button stays the keyboard's way in). */
      wholeRow?: boolean;
      /** Rows without the action (no button, no click). */
      enabled?: (row: R) => boolean;
    },
  ) {
    const cap = el('caption', 'visually-hidden', caption);
    this.root.append(cap, this.head, this.body);
    this.renderHead();
  }

  /** Shows `rows` (already sorted); `classOf` may give a row a class. */
  render(rows: readonly R[], idOf: (row: R) => string, classOf?: (row: R) => string | undefined): void {
    this.body.replaceChildren(...rows.map((r) => {
      const tr = el('tr', classOf?.(r));
      tr.dataset.id = idOf(r);
      const action = this.rowAction && (this.rowAction.enabled?.(r) ?? true) ? this.rowAction : undefined;
      if (action?.wholeRow) {
        tr.classList.add('clickable-row');
        tr.addEventListener('click', (e) => {
          if (!(e.target instanceof Element && e.target.closest('button, a, input, select'))) action.run(r);
        });
      }
      this.columns.forEach((c, i) => {
        const td = el(i === 0 ? 'th' : 'td', c.numeric ? 'num' : undefined);
        if (i === 0) td.scope = 'row';
        const v = c.cell(r);
        if (i === 0 && action) {
          const b = el('button', 'link-button');
          b.type = 'button';
          b.append(v);
          b.setAttribute('aria-label', action.label(r));
          b.addEventListener('click', () => action.run(r));
          td.append(b);
        } else {
          td.append(v);
        }
        tr.append(td);
      });
      return tr;
    }));
  }

  private renderHead(): void {
    const tr = el('tr');
    for (const c of this.columns) {
      const th = el('th', c.numeric ? 'num' : undefined);
      th.scope = 'col';
      if (c.title) th.title = c.title;
      const key = c.key;
      if (key) {
        const active = this.sort.key === key;
        th.setAttribute('aria-sort', active ? (this.sort.ascending ? 'ascending' : 'descending') : 'none');
        const b = el('button', 'sort', `${c.header}${active ? (this.sort.ascending ? ' ▲' : ' ▼') : ''}`);
        b.type = 'button';
        b.addEventListener('click', () => {
          const ascending = active ? !this.sort.ascending : !c.numeric;
          this.sort = { key, ascending };
          this.renderHead();
          this.onSort(key, ascending);
        });
        th.append(b);
      } else {
        th.textContent = c.header;
      }
      tr.append(th);
    }
    this.head.replaceChildren(tr);
  }
}
