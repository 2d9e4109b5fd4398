/**
 * A failure reported the way illumos tools report it: a message on stderr and an exit code
 * (0 ok, 1 error, 2 usage — zonecfg(8), zoneadm(8)). The CLI entry points turn it into both.
 */
export class SimError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export const usage = (message: string) => new SimError(message, 2);
