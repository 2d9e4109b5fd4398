/**
 * Node options a runtime puts before the agent bundle: `node ...AGENT_NODE_FLAGS helios-agent.mjs ...`.
 *
 * `--initial-old-space-size=64`: the agent's own heap is ~11 MB, so V8 starts it with small limits,
 * and V8 counts the memory behind Buffers against them. The agent moves every byte a step prints
 * through such memory: each pipe read is kept until the server acknowledges its batch (up to
 * 16 MiB in flight), and grpc-js frames every message in a fresh copy. With the default limits a
 * step printing 200 MB caused ~14 full mark-compacts in the agent; with the old generation sized
 * for that working set, 3–4. That cut the agent's CPU in `npm run bench -- logs` by ~10%.
 * The flag only changes when V8 collects. An agent started without it (the `helios-agent` bin, an
 * older runtime) works the same, only with more collections.
 */
export const AGENT_NODE_FLAGS: readonly string[] = Object.freeze(['--initial-old-space-size=64']);
