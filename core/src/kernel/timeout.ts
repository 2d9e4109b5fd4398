export type TimedOutcome<T> = { kind: 'ok'; value: T } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

/** Runs `fn`, giving up (without cancelling it) after `ms`. */
export async function runWithTimeout<T>(fn: () => Promise<T>, ms: number): Promise<TimedOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<TimedOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), ms);
  });
  const run = fn().then(
    (value): TimedOutcome<T> => ({ kind: 'ok', value }),
    (error): TimedOutcome<T> => ({ kind: 'error', error }),
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
