import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrashTracker } from '../../../extension/src/crashPolicy';

describe('CrashTracker', () => {
  it('restarts until the fifth crash within three minutes, then gives up', () => {
    let t = 0;
    const tracker = new CrashTracker(undefined, () => t);
    const decisions = [];
    for (let i = 0; i < 5; i++) { decisions.push(tracker.crashed()); t += 10_000; }
    assert.deepEqual(decisions, ['restart', 'restart', 'restart', 'restart', 'give-up']);
    assert.equal(tracker.recent, 5);
  });

  it('forgets crashes older than the window', () => {
    let t = 0;
    const tracker = new CrashTracker({ maxCrashes: 3, windowMs: 1000 }, () => t);
    assert.equal(tracker.crashed(), 'restart');
    t = 500; assert.equal(tracker.crashed(), 'restart');
    t = 1600; assert.equal(tracker.crashed(), 'restart', 'the first crash left the window');
    t = 1700; assert.equal(tracker.crashed(), 'restart', 'the crash at 500 left the window too');
    t = 1800; assert.equal(tracker.crashed(), 'give-up', '1600, 1700, 1800: three within 1000 ms');
  });

  it('a manual restart resets the budget', () => {
    const tracker = new CrashTracker({ maxCrashes: 2, windowMs: 60_000 }, () => 0);
    tracker.crashed();
    tracker.reset();
    assert.equal(tracker.crashed(), 'restart');
    assert.equal(tracker.crashed(), 'give-up');
  });
});
