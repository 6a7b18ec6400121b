import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrashTracker, onConnectionError, onServerClosed } from '../../../extension/src/crashPolicy';

describe('CrashTracker', () => {
  it('restarts until the fifth crash within three minutes, then gives up', () => {
    let t = 0;
    const tracker = new CrashTracker(undefined, () => t);
    const decisions = [];
    for (let i = 0; i < 5; i++) {
      decisions.push(tracker.crashed());
      t += 10_000;
    }
    assert.deepEqual(decisions, ['restart', 'restart', 'restart', 'restart', 'give-up']);
    assert.equal(tracker.recent, 5);
  });

  it('forgets crashes older than the window', () => {
    let t = 0;
    const tracker = new CrashTracker({ maxCrashes: 3, windowMs: 1000 }, () => t);
    assert.equal(tracker.crashed(), 'restart');
    t = 500;
    assert.equal(tracker.crashed(), 'restart');
    t = 1600;
    assert.equal(tracker.crashed(), 'restart', 'the first crash left the window');
    t = 1700;
    assert.equal(tracker.crashed(), 'restart', 'the crash at 500 left the window too');
    t = 1800;
    assert.equal(tracker.crashed(), 'give-up', '1600, 1700, 1800: three within 1000 ms');
  });

  it('a manual restart resets the budget', () => {
    const tracker = new CrashTracker({ maxCrashes: 2, windowMs: 60_000 }, () => 0);
    tracker.crashed();
    tracker.reset();
    assert.equal(tracker.crashed(), 'restart');
    assert.equal(tracker.crashed(), 'give-up');
  });
});

describe('the server closed / a connection error (what client.ts does)', () => {
  // Replaces a test that matched client.ts's text. Breaks if the handler stops
  // restarting within the budget, restarts past it, or the give-up message loses
  // its count or its "Restart server" button.
  it('restarts after each of the first 4 crashes in 3 minutes; at the 5th stays down with a message and a Restart button', () => {
    let t = 0;
    const crashes = new CrashTracker(undefined, () => t);
    const decisions = [1, 2, 3, 4, 5].map(() => {
      t += 1000;
      return onServerClosed(crashes);
    });
    assert.deepEqual(
      decisions.slice(0, 4).map((d) => d.action),
      ['restart', 'restart', 'restart', 'restart'],
    );
    const last = decisions[4];
    assert.equal(last.action, 'stay-down');
    assert.ok(last.action === 'stay-down');
    assert.match(last.message, /crashed 5 times in the last 3 minutes and was not restarted/);
    assert.equal(last.buttons[0], 'Restart server');
    t += 3 * 60_000 + 1;
    assert.equal(onServerClosed(crashes).action, 'restart', 'the window passed: restarts again');
  });

  it('connection errors: the first 3 in a row are transient, then the connection shuts down', () => {
    assert.deepEqual([1, 2, 3, 4, 10, undefined].map(onConnectionError), ['continue', 'continue', 'continue', 'shutdown', 'shutdown', 'shutdown']);
  });
});
