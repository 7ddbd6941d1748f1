const tails = new WeakMap<object, Promise<unknown>>();

/**
 * Runs `fn` after every earlier call made with the same `key` has settled: one at a
 * time per key within this process (or isolate). Other processes are not covered.
 */
export function oneAtATime<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const run = (tails.get(key) ?? Promise.resolve()).then(fn, fn);
  tails.set(
    key,
    run.then(
      () => undefined,
      () => undefined,
    ),
  );
  return run;
}
