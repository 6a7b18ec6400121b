/**
 * When to stop restarting a crashing language server. vscode-languageclient's
 * default gives up after 5 crashes in 3 minutes and shows a plain message
 * (vscode-languageclient DefaultErrorHandler; redhat-developer/vscode-java#2178);
 * ShardLens keeps that budget but shows its own message with a "Restart server"
 * button (client.ts). Pure: the clock is injected.
 */

export interface CrashPolicy {
  /** Crashes within `windowMs` after which the server is not restarted. */
  maxCrashes: number;
  windowMs: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicy = { maxCrashes: 5, windowMs: 3 * 60_000 };

export type CrashDecision = 'restart' | 'give-up';

export class CrashTracker {
  private crashes: number[] = [];

  constructor(
    private readonly policy: CrashPolicy = DEFAULT_CRASH_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash now and says whether to restart. */
  crashed(): CrashDecision {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.policy.windowMs);
    this.crashes.push(t);
    return this.crashes.length >= this.policy.maxCrashes ? 'give-up' : 'restart';
  }

  /** Crashes counted in the current window. */
  get recent(): number {
    const t = this.now();
    return this.crashes.filter((c) => t - c < this.policy.windowMs).length;
  }

  /** After a manual restart the budget starts afresh. */
  reset(): void {
    this.crashes = [];
  }
}
