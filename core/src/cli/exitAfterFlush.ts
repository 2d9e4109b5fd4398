/**
 * Exits with `code` once everything written to stdout and stderr has reached the OS. Writes to a
 * pipe are asynchronous in Node: `process.exit` right after a large write drops what is still queued
 * (a 170 KB `helios plan --json | wc -c` printed 65536). Long-running commands resolve only after a
 * clean stop, so whatever is still pending (timers, sockets) must not keep the process up: exit
 * explicitly, but only after the flush.
 */
export async function exitAfterFlush(code: number, streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): Promise<never> {
  process.exitCode = code;
  await Promise.all(streams.map(flushed));
  process.exit(code);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    // A reader that went away (EPIPE) must not turn into an unhandled error or a hang.
    const done = () => {
      stream.off('error', done);
      resolve();
    };
    stream.once('error', done);
    // Writes complete in order, so the callback of an empty write fires after all earlier data.
    stream.write('', done);
  });
}
