/**
 * helios.yaml for end-to-end tests of a real `helios serve`: data under ./data, job links to
 * http://ci.test, the file secrets backend, the local runtime with machines under ./machines, plus
 * the plugin entries given (already indented under `plugins:`, e.g. a forge under test) and limits.
 * The runtime is unsandboxed: a forge stand-in listens on the host's loopback, which a sandboxed job
 * (its own network namespace: only the agent endpoint and the egress proxy) cannot clone from.
 */
export function deploymentConfig(pluginsYaml: string, limits: Record<string, number>): string {
  return `server:
  dataDir: ./data
  publicUrl: http://ci.test
plugins:
  secrets:
    use: "@helios-ci/secrets-file"
  local:
    use: "@helios-ci/runtime-local"
    config: { workRoot: ./machines, killGraceMs: 500, sandbox: off }
${pluginsYaml.replace(/\n*$/, '\n')}limits: ${JSON.stringify(limits)}
`;
}
