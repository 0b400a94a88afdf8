import type { Lease, Reservation } from '../../brokers/broker.js';

/**
 * Celery messages with an eta that a tq worker took before they were due.
 * On Redis, Celery's only delay is the eta header: whoever takes the message
 * holds it until then. Here it stays in kombu's `unacked` the whole time, its
 * lease and unacked_index time refreshed, so a worker that dies holding it
 * hands it back (tq's restore after the lease, Python's after the visibility
 * timeout) and a long eta is never restored while its holder lives.
 *
 * States per message: held → due (returned by `due`) or removed (revoked).
 */
export class HeldEtas {
  private readonly byTag = new Map<string, { reservation: Reservation; etaMs: number }>();
  private timer: NodeJS.Timeout | undefined;

  hold(reservation: Reservation, etaMs: number): void {
    this.byTag.set(reservation.lease.token, { reservation, etaMs });
  }

  /** Due messages of these queues, soonest first, at most `max`; they leave the set. */
  due(queues: readonly string[], max: number): Reservation[] {
    if (this.byTag.size === 0) return [];
    const now = Date.now();
    const wanted = new Set(queues);
    const ready = [...this.byTag.entries()].filter(([, h]) => h.etaMs <= now && wanted.has(h.reservation.queue)).sort((a, b) => a[1].etaMs - b[1].etaMs).slice(0, max);
    for (const [key] of ready) this.byTag.delete(key);
    return ready.map(([, h]) => h.reservation);
  }

  /** How long until the soonest held message is due (Infinity: none). */
  msUntilNextDue(): number {
    let soonest = Infinity;
    for (const h of this.byTag.values()) soonest = Math.min(soonest, h.etaMs);
    return soonest === Infinity ? Infinity : Math.max(0, soonest - Date.now());
  }

  /** Takes the held messages of these ids out (revoked before they were due). */
  remove(ids: readonly string[]): Reservation[] {
    const wanted = new Set(ids);
    const out: Reservation[] = [];
    for (const [key, h] of this.byTag) {
      if (wanted.has(h.reservation.id)) {
        out.push(h.reservation);
        this.byTag.delete(key);
      }
    }
    return out;
  }

  /** Every held message, leaving none (close hands them back). */
  drain(): Reservation[] {
    const all = [...this.byTag.values()].map((h) => h.reservation);
    this.byTag.clear();
    return all;
  }

  list(): { reservation: Reservation; etaMs: number }[] {
    return [...this.byTag.values()];
  }

  /** Keeps the held leases fresh every `everyMs`; a lease found lost is dropped (someone else has the message now). */
  start(extend: (leases: Lease[]) => Promise<Lease[]>, everyMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const leases = [...this.byTag.values()].map((h) => h.reservation.lease);
      if (leases.length === 0) return;
      extend(leases)
        .then((lost) => {
          for (const l of lost) this.byTag.delete(l.token);
        })
        .catch(() => undefined);
    }, Math.max(250, everyMs));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
