import { AGENT_NODE_FLAGS } from '@helios-ci/sdk';
/** A step line `autogroup=N` (its session's nice value) or `autogroup=none` on a kernel without autogroup. */
export const AUTOGROUP_ECHO = `sleep 0.3; echo "autogroup=$(sed -n 's/.* nice //p' /proc/self/autogroup 2>/dev/null | grep . || echo none)"`;

/** A step line `agent-argv=...`: the command line of the step shell's parent, the agent (NULs as spaces). */
export const AGENT_ARGV_ECHO = `echo "agent-argv=$(tr '\\0' ' ' < /proc/$PPID/cmdline)"`;

/** True when the `agent-argv=` line shows node started with AGENT_NODE_FLAGS ahead of everything else. */
export function startedWithAgentFlags(lines: readonly string[]): boolean {
  const argv = lines.find((l) => l.startsWith('agent-argv='))?.slice('agent-argv='.length).trim().split(' ') ?? [];
  return argv.length > AGENT_NODE_FLAGS.length && AGENT_NODE_FLAGS.every((flag, i) => argv[i + 1] === flag);
}
