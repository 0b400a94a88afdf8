/**
 * Acks that arrive in one event-loop turn go to Redis as one script call: a
 * worker finishing many short tasks at once pays one round trip, not one per
 * task. Each caller still learns its own outcome (fenced per tag).
 *
 * States: idle → collecting (first ack of a turn; flush scheduled) → idle.
 */
export class AckBatcher {
  private pending: { tag: string; token: string; done: (ok: boolean) => void; fail: (err: unknown) => void }[] = [];

  constructor(private readonly send: (pairs: string[]) => Promise<number[]>) {}

  ack(tag: string, token: string): Promise<boolean> {
    return new Promise((done, fail) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ tag, token, done, fail });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const replies = await this.send(batch.flatMap((p) => [p.tag, p.token]));
      batch.forEach((p, i) => p.done(replies[i] === 1));
    } catch (err) {
      for (const p of batch) p.fail(err);
    }
  }
}
