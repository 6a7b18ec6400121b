// (a) The broken example: the status bar's Problems item shows as many errors as
// `shardlens check` finds, the editor squiggles them, and the Problems panel lists the messages.
import path from 'node:path';
import { openFile, problemsPanelRows, problemsStatus } from '../lib/workbench.mjs';
import { waitFor } from '../lib/poll.mjs';

export const FILE = 'mistakes.shard.yaml';

/** @param {import('../run.mjs').ScenarioContext} ctx */
export async function problems({ page, ws, report, cli }) {
  const file = path.join(ws, FILE);
  const expected = cli(['check', file]).diagnostics.filter((d) => cli.resolve(d.file) === file);
  const errors = expected.filter((d) => d.severity === 'error');
  const opened = await report.check(`open ${FILE}`, () => openFile(page, FILE));
  if (opened === undefined && !(await page.locator('.tabs-container .tab.active', { hasText: FILE }).count())) return;
  await report.check(`Problems status shows ${errors.length} errors (as \`shardlens check\`)`, () =>
    waitFor(
      `status bar "Errors: ${errors.length}"`,
      async () => {
        const s = await problemsStatus(page);
        return s.errors === errors.length && errors.length > 0 ? s : undefined;
      },
      { timeoutMs: 60_000 },
    ),
  );
  await report.check('the editor squiggles the errors', () => page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 10_000 }));
  await report.check('the Problems panel lists the messages', async () => {
    // The list is virtualised: every rendered diagnostic row must carry one of the CLI's
    // messages, and at least the first ten (or all) must be rendered.
    const want = Math.min(errors.length, 10);
    const rows = await problemsPanelRows(page, { min: want + 1 });
    const diagRows = rows.filter((r) => !r.startsWith(FILE));
    const unknown = diagRows.filter((r) => !expected.some((d) => r.includes(d.message)));
    const listed = expected.filter((d) => rows.some((r) => r.includes(d.message)));
    if (unknown.length || listed.length < want) {
      throw new Error(`${listed.length}/${want} CLI messages listed; rows not from the CLI: ${unknown.join(' | ') || 'none'}`);
    }
  });
  await report.shot(page, '1-problems');
}
