/**
 * Asks one task run to stop (revoke, time limit, cold shutdown, lost lease).
 *
 * Its AbortSignal is made only when something asks for it: most tasks never
 * look at theirs, and an AbortController (an EventTarget) per task is a
 * measurable share of a no-op task's cost at thousands of tasks a second.
 */
export class Cancellation {
  private controller: AbortController | undefined;
  private listeners: ((reason: unknown) => void)[] | undefined;
  private why: unknown;
  aborted = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.why = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const fn of listeners ?? []) fn(reason);
  }

  /** Calls `fn` once, on abort (at once when already aborted). */
  onAbort(fn: (reason: unknown) => void): void {
    if (this.aborted) fn(this.why);
    else (this.listeners ??= []).push(fn);
  }
}
