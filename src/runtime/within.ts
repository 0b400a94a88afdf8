/**
 * `promise`'s value, or undefined once `ms` have passed (never rejects). For
 * the steps of a stop that wait on the broker: a Redis broker's commands wait
 * through a reconnect by design, so without a bound a Redis that is gone for
 * good would keep a stopping worker alive forever.
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
