import type { Redis } from 'ioredis';

/** A blocking call that has not answered this long after its own timeout is taken as hung. */
export const WATCHDOG_GRACE_MS = 2_500;
/** After a failed blocking call, pause this long so a persistent error cannot spin. */
const ERROR_PAUSE_MS = 100;
/**
 * Redis ends blocking calls on its own clock only at `hz` ticks (100 ms by
 * default), too coarse for an eta. So the wait ends on a local timer that
 * unblocks the call; BZPOPMIN's own timeout, this much later, is the backstop.
 */
const SERVER_TIMEOUT_SLACK_MS = 250;
const FAILED = Symbol('failed');

interface BlockingConnection {
  redis: Redis;
  /** CLIENT ID on the server, for CLIENT UNBLOCK; refreshed on every reconnect. */
  clientId?: number;
}

/**
 * Lets an idle reserve block on Redis instead of polling: it waits in
 * BZPOPMIN on its queues' marker keys, which every enqueue (and every
 * hand-back) sets. Each waiting reserve gets its own blocking connection,
 * kept in a pool for the next wait.
 *
 * A connection is idle (in the pool) → blocking → idle again when BZPOPMIN
 * answers, or dropped when:
 * - the watchdog fires: the call has not answered WATCHDOG_GRACE_MS after its
 *   timeout (the "connected but not consuming" failure after a reconnect);
 * - the call failed.
 * A wait ends on its own timer or on abort by unblocking its call (CLIENT
 * UNBLOCK), so it never depends on a blocking connection answering.
 */
export class MarkerWaiter {
  private readonly idle: BlockingConnection[] = [];
  private readonly open = new Set<BlockingConnection>();
  private closed = false;

  constructor(
    private readonly connect: () => Redis,
    /** The commands connection, used to unblock a waiting one. */
    private readonly control: Redis,
  ) {}

  /**
   * Resolves when a marker was popped, after `timeoutMs`, or on abort; never
   * throws. `then`, when given, is sent on the same connection right behind
   * the BZPOPMIN: Redis runs it the moment the wait ends, so a woken reserve
   * costs no second round trip. Its reply is what this resolves with
   * (undefined when it failed or was never sent), whether the wait ended on a
   * marker, on time or on abort, so nothing it took is ever dropped here.
   */
  async wait<T>(markerKeys: readonly string[], timeoutMs: number, signal?: AbortSignal, then?: (redis: Redis) => Promise<T>): Promise<T | undefined> {
    if (this.closed || signal?.aborted) return undefined;
    const conn = await this.acquire();
    if (this.closed || signal?.aborted) {
      this.release(conn);
      return undefined;
    }
    const call = this.block(conn, markerKeys, Math.max(timeoutMs, 1) + SERVER_TIMEOUT_SLACK_MS);
    const followUp = then ? then(conn.redis).catch(() => undefined) : undefined;
    // The connection goes back to the pool once both answered (or it was dropped).
    void Promise.all([call, followUp]).then(() => this.release(conn));
    await new Promise<void>((resolve) => {
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', unblock);
        resolve();
      };
      // Time is up or the caller gave up: end the call and return now.
      const unblock = () => {
        if (left) return;
        if (conn.clientId === undefined) this.drop(conn);
        else this.control.client('UNBLOCK', conn.clientId).catch(() => this.drop(conn));
        leave();
      };
      const timer = setTimeout(unblock, timeoutMs);
      signal?.addEventListener('abort', unblock, { once: true });
      void call.then((outcome) => {
        // We left already but still took a marker that no follow-up acts on: put it back for another worker.
        if (left && typeof outcome === 'string' && !then) void this.control.zadd(outcome, 0, '0').catch(() => undefined);
        else if (outcome === FAILED) setTimeout(leave, ERROR_PAUSE_MS);
        else leave();
      });
    });
    return followUp;
  }

  /** Open connections, idle or blocking (for diagnostics and tests). */
  get size(): number {
    return this.open.size;
  }

  /**
   * One BZPOPMIN: the marker key popped, null on timeout or unblock, FAILED
   * when the call failed or the watchdog gave up on it (the connection is
   * dropped then; the caller pools it otherwise).
   */
  private block(conn: BlockingConnection, markerKeys: readonly string[], blockMs: number): Promise<string | null | typeof FAILED> {
    return new Promise((resolve) => {
      const watchdog = setTimeout(() => {
        this.drop(conn);
        resolve(FAILED);
      }, blockMs + WATCHDOG_GRACE_MS);
      conn.redis.bzpopmin(...markerKeys, (blockMs / 1000).toFixed(3)).then(
        (popped) => {
          clearTimeout(watchdog);
          resolve(popped ? popped[0] : null);
        },
        () => {
          clearTimeout(watchdog);
          this.drop(conn);
          resolve(FAILED);
        },
      );
    });
  }

  close(): void {
    this.closed = true;
    for (const conn of this.open) conn.redis.disconnect();
    this.open.clear();
    this.idle.length = 0;
  }

  private async acquire(): Promise<BlockingConnection> {
    const pooled = this.idle.pop();
    if (pooled) return pooled;
    const conn: BlockingConnection = { redis: this.connect() };
    this.open.add(conn);
    const learnId = () => {
      conn.clientId = undefined;
      return conn.redis.client('ID').then((id) => void (conn.clientId = Number(id)), () => undefined);
    };
    // Learn the id before the first BZPOPMIN, which would hold a later CLIENT ID back.
    await conn.redis.connect().then(learnId, () => undefined); // a failure surfaces as a failed BZPOPMIN
    conn.redis.on('ready', () => void learnId()); // from now on: reconnects, which change the id
    return conn;
  }

  private release(conn: BlockingConnection): void {
    if (!this.closed && this.open.has(conn)) this.idle.push(conn);
  }

  private drop(conn: BlockingConnection): void {
    if (!this.open.delete(conn)) return;
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    conn.redis.disconnect();
  }
}

