import type { Broker, Lease } from '../brokers/broker.js';

/**
 * Renews the leases of every message a worker holds, from the worker's main
 * thread, three times per lease: a task spinning in a thread or child never
 * starves it. Leases the broker reports lost (lapsed and taken over, or acked)
 * go to `onLost`.
 *
 * States: stopped → renewing (start) → stopped (stop).
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly leaseMs: number,
    private readonly held: () => Lease[],
    private readonly onLost: (lease: Lease) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.renew(), Math.max(100, this.leaseMs / 3));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async renew(): Promise<void> {
    const leases = this.held();
    if (leases.length === 0) return;
    try {
      for (const lease of await this.broker.extendLeases(leases, this.leaseMs)) this.onLost(lease);
    } catch (err) {
      this.onError(err);
    }
  }
}
