/**
 * DOM of the balance view's moves section ("Replan (≤ N moves)"): title,
 * summary and one row per moved table. Text goes in through textContent only
 * (table names come from the user's file).
 *
 * DOM (read by the tests and the end-to-end suite):
 *   #moves-section[hidden when there is no move budget][data-moves=count]
 *   #moves-table tbody > tr[data-table][data-required=true|false]
 *   cells td[data-col=from|to|gain]; the gain cell's data-value = ms (empty when none).
 */
import type { MovesView } from './movesModel';

export interface MovesDom {
  section: HTMLElement;
  title: HTMLElement;
  summary: HTMLElement;
  table: HTMLTableElement;
  apply: HTMLButtonElement;
}

export function renderMoves(dom: MovesDom, view: MovesView | undefined): void {
  dom.section.hidden = !view;
  const body = dom.table.tBodies[0] ?? dom.table.appendChild(dom.table.ownerDocument.createElement('tbody'));
  body.replaceChildren();
  dom.apply.disabled = !view?.canApply;
  if (!view) {
    delete dom.section.dataset.moves;
    return;
  }
  dom.section.dataset.moves = String(view.rows.length);
  dom.title.textContent = view.title;
  dom.summary.textContent = view.summary;
  const doc = dom.table.ownerDocument;
  for (const r of view.rows) {
    const tr = doc.createElement('tr');
    tr.dataset.table = r.table;
    tr.dataset.required = String(r.required);
    const th = doc.createElement('th');
    th.scope = 'row';
    th.textContent = r.table;
    tr.append(th);
    for (const [col, text] of [
      ['from', r.from],
      ['to', r.to],
      ['gain', r.gain],
    ] as const) {
      const td = doc.createElement('td');
      td.dataset.col = col;
      td.textContent = text;
      if (col === 'gain') {
        td.className = 'num';
        td.dataset.value = Number.isFinite(r.gainMs) ? String(r.gainMs) : '';
      }
      tr.append(td);
    }
    body.append(tr);
  }
}
