// Waiting for a Replan's placement to reach the disk, shared by the Replan scenarios.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorToasts } from './workbench.mjs';
import { splitPlacement } from './placement.mjs';
import { fatal, waitFor } from './poll.mjs';

/**
 * Saves the active editor while it is dirty (a no-op when the extension already
 * saved) until `file` holds another placement: section than `before` (text), and
 * returns the new text. The text must read the same twice 150 ms apart: a read
 * during a save can see the file truncated, which also "differs".
 */
export function savedPlacementChange(page, file, before) {
  const placementBefore = splitPlacement(before).placement;
  return waitFor(
    'a new placement on disk',
    async () => {
      if (await page.locator('.tabs-container .tab.active.dirty').count()) await page.keyboard.press('Control+S');
      const errors = await errorToasts(page);
      if (errors.length) throw fatal(`error notification: ${errors.join(' | ')}`);
      const now = readFileSync(file, 'utf8');
      if (splitPlacement(now).placement === placementBefore) return undefined;
      await sleep(150);
      return readFileSync(file, 'utf8') === now ? now : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}
