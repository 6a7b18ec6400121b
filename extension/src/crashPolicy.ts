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

/** The buttons of the message shown when the server stays down; the first restarts it. */
export const GIVE_UP_BUTTONS = ['Restart server', 'Show output'] as const;

export type ServerClosedDecision = { action: 'restart' } | { action: 'stay-down'; message: string; buttons: typeof GIVE_UP_BUTTONS };

/**
 * The server process ended: restart it while the crash budget lasts, else stay
 * down with a message that says why and offers a restart (vscode-languageclient's
 * default message has no button). client.ts maps this onto CloseAction.
 */
export function onServerClosed(crashes: CrashTracker, policy: CrashPolicy = DEFAULT_CRASH_POLICY): ServerClosedDecision {
  if (crashes.crashed() === 'restart') return { action: 'restart' };
  const minutes = Math.round(policy.windowMs / 60_000);
  return {
    action: 'stay-down',
    message: `The ShardLens language server crashed ${crashes.recent} times in the last ${minutes} minutes and was not restarted. Diagnostics, code lenses and Replan are off until it runs again.`,
    buttons: GIVE_UP_BUTTONS,
  };
}

/**
 * A connection read/write error, the `count`-th in a row (as vscode-languageclient
 * passes it): transient up to 3 times, then the connection is shut down, as the
 * library's default handler does.
 */
export function onConnectionError(count: number | undefined): 'continue' | 'shutdown' {
  return count !== undefined && count <= 3 ? 'continue' : 'shutdown';
}
