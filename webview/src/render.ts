/**
 * DOM rendering of the panel's text parts: the step's figures (critical path
 * phase by phase, busiest and mean GPU, imbalance) and the accessible per-GPU
 * table. Text goes in through textContent only (never innerHTML): table
 * names come from the user's file.
 *
 * Table DOM (read by the tests and the end-to-end suite):
 *   #balance-table tbody[data-side=current|proposed] > tr[data-gpu][data-side]
 *   cells td[data-col=fwd|bwd|comm|total|uncertainty|memory|capacity|tables],
 *   numeric cells with data-value = the raw number (ms or bytes; uncertainty:
 *   the ± of fwd + bwd in ms, NaN when unknown); a button.reveal per row.
 */
import type { SideName } from './messages';
import type { Figures, TableRow } from './viewModel';

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, text?: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

export function renderFigures(container: HTMLElement, figures: Figures): void {
  const doc = container.ownerDocument;
  container.replaceChildren();
  for (const s of figures.sides) {
    const card = el(doc, 'div', undefined, { class: 'figure-card', 'data-side': s.side });
    card.append(el(doc, 'h3', s.title));
    const dl = el(doc, 'dl');
    const pairs: Array<[string, string, string]> = [
      ['step (critical path)', s.maxMs, 'max'],
      ['busiest GPU', s.busiestMs, 'busiest'],
      ['mean GPU', s.meanMs, 'mean'],
      ['max / mean', s.imbalance, 'imbalance'],
    ];
    for (const [term, value, key] of pairs) {
      dl.append(el(doc, 'dt', term), el(doc, 'dd', value, { 'data-figure': key }));
    }
    card.append(dl);
    if (s.phases.length > 0) {
      // Every collective waits for the slowest GPU: the step is the sum of these.
      const list = el(doc, 'ol', undefined, { class: 'phases', 'aria-label': 'Critical path: the slowest GPU of each phase' });
      for (const p of s.phases) list.append(el(doc, 'li', `${p.title} ${p.ms} (GPU ${p.gpu})`, { 'data-figure': `phase-${p.name}`, 'data-gpu': String(p.gpu) }));
      card.append(list);
    }
    if (!s.feasible) {
      const why = s.reasons.length > 0 ? s.reasons.slice(0, 3).join('; ') + (s.reasons.length > 3 ? ` (+${s.reasons.length - 3} more)` : '') : 'constraints not met';
      card.append(el(doc, 'p', `Not feasible: ${why}`, { class: 'problem' }));
    }
    for (const n of s.notes) card.append(el(doc, 'p', n, { class: 'note', 'data-figure': 'note' }));
    container.append(card);
  }
  if (figures.change) container.append(el(doc, 'p', figures.change, { class: 'change', 'data-figure': 'change' }));
}

const NUMERIC: Array<keyof TableRow['cells']> = ['fwd', 'bwd', 'comm', 'total', 'uncertainty', 'memory', 'capacity'];

export function renderTable(table: HTMLTableElement, rows: TableRow[], onReveal: (side: SideName, gpu: number) => void): void {
  const doc = table.ownerDocument;
  for (const side of ['current', 'proposed'] as const) {
    const body = table.querySelector<HTMLTableSectionElement>(`tbody[data-side="${side}"]`);
    if (!body) continue;
    body.replaceChildren();
    for (const r of rows.filter((x) => x.side === side)) {
      const tr = el(doc, 'tr', undefined, { 'data-gpu': String(r.gpu), 'data-side': r.side });
      if (r.overCapacity) tr.classList.add('over-capacity');
      tr.append(el(doc, 'td', r.sideLabel, { 'data-col': 'side' }));
      tr.append(el(doc, 'th', `GPU ${r.gpu}`, { scope: 'row', 'data-col': 'gpu' }));
      for (const key of NUMERIC) {
        tr.append(el(doc, 'td', r.cells[key], { 'data-col': key, 'data-value': String(r.raw[key]), class: 'num' }));
      }
      tr.append(el(doc, 'td', r.tables, { 'data-col': 'tables', class: 'tables' }));
      const cell = el(doc, 'td');
      const button = el(doc, 'button', 'Reveal', {
        type: 'button',
        class: 'reveal',
        'data-gpu': String(r.gpu),
        'data-side': r.side,
        'aria-label': `Select the tables of GPU ${r.gpu} (${r.sideLabel}) in the editor`,
      });
      button.addEventListener('click', () => onReveal(r.side, r.gpu));
      cell.append(button);
      tr.append(cell);
      body.append(tr);
    }
  }
}
