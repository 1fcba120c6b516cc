/** A counting semaphore: at most `limit` tasks run at once, the rest wait in FIFO order. */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  const next = (): void => {
    if (active >= limit) return;
    const start = waiting.shift();
    if (start) { active++; start(); }
  };
  return (task) => new Promise((resolve, reject) => {
    waiting.push(() => {
      task().then(resolve, reject).finally(() => { active--; next(); });
    });
    next();
  });
}

/** Map with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const run = createLimiter(limit);
  return Promise.all(items.map((item, i) => run(() => fn(item, i))));
}
