/**
 * DOM of the What-if view's table: one row per cluster, text through
 * textContent only (GPU types and reasons come from the user's file).
 *
 * Table DOM (read by the tests and the end-to-end suite):
 *   #whatif-table tbody > tr[data-type][data-gpus][data-feasible=true|false]
 *   cells td[data-col=step|maxmean|memory|cost|feasible|model]; numeric cells carry
 *   data-value = the raw number (ms, fraction, GPU·s), empty when there is none.
 */
import type { WhatIfRow } from './whatIfModel';

export function renderWhatIfTable(table: HTMLTableElement, rows: readonly WhatIfRow[]): void {
  const doc = table.ownerDocument;
  const body = table.tBodies[0] ?? table.appendChild(doc.createElement('tbody'));
  body.replaceChildren();
  for (const r of rows) {
    const tr = doc.createElement('tr');
    tr.dataset.type = r.type;
    tr.dataset.gpus = String(r.gpus);
    tr.dataset.feasible = String(r.feasible);
    const th = doc.createElement('th');
    th.scope = 'row';
    th.textContent = r.type;
    const gpus = doc.createElement('td');
    gpus.className = 'num';
    gpus.textContent = String(r.gpus);
    tr.append(th, gpus);
    const cells: Array<[string, string, number | undefined]> = [
      ['step', r.cells.step, r.raw.step],
      ['maxmean', r.cells.maxMean, undefined],
      ['memory', r.cells.memory, r.raw.memory],
      ['cost', r.cells.cost, r.raw.cost],
      ['feasible', r.cells.feasible, undefined],
      ['model', r.cells.model, undefined],
    ];
    for (const [col, text, raw] of cells) {
      const td = doc.createElement('td');
      td.dataset.col = col;
      td.textContent = text;
      if (raw !== undefined) {
        td.className = 'num';
        td.dataset.value = Number.isFinite(raw) ? String(raw) : '';
      }
      if (col === 'feasible' && !r.feasible) td.className = 'problem';
      tr.append(td);
    }
    body.append(tr);
  }
}
