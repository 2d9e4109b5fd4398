/**
 * helios.yaml for end-to-end tests of a real `helios serve`: data under ./data, job links to
 * http://ci.test, the file secrets backend, the local runtime with machines under ./machines, plus
 * the plugin entries given (already indented under `plugins:`, e.g. a forge under test) and limits.
 * The runtime's sandbox is left at its default (on where bwrap works): a forge stand-in on the host's
 * loopback is cloned through the egress proxy (the agent's git ignores NO_PROXY for the server's URLs).
 * `local.sandbox: 'off'` for a test that looks at the job's processes from the host (host pids).
 */
export function deploymentConfig(pluginsYaml: string, limits: Record<string, number>, local: { sandbox?: 'auto' | 'off' } = {}): string {
  return `server:
  dataDir: ./data
  publicUrl: http://ci.test
plugins:
  secrets:
    use: "@helios-ci/secrets-file"
  local:
    use: "@helios-ci/runtime-local"
    config: { workRoot: ./machines, killGraceMs: 500${local.sandbox ? `, sandbox: ${local.sandbox}` : ''} }
${pluginsYaml.replace(/\n*$/, '\n')}limits: ${JSON.stringify(limits)}
`;
}
