import type { HeliosError } from '@helios-ci/sdk';

/**
 * The remedy for an error that stopped the kernel, by its code. Most Helios messages already say
 * what to change; these add the operator's next step where the code alone tells it.
 */
const FIXES: Record<string, (err: HeliosError) => string> = {
  E_CONFIG_INVALID: () => 'correct the listed lines of the config (helios config check prints the same list)',
  E_CONFIG_NOT_FOUND: () => 'pass --config FILE, or put helios.yaml in the working directory, or set HELIOS_CONFIG',
  E_PLUGIN_NOT_FOUND: () => 'install the package next to Helios (npm install <package>) or fix "use:" in helios.yaml',
  E_PLUGIN_INVALID: () => 'the package is not a Helios plugin for this version; fix "use:" or upgrade the plugin',
  E_PLUGIN_API_MISMATCH: () => 'install a plugin version built for this Helios plugin API (npm install <package>@latest)',
  E_PLUGIN_IMPORT_FAILED: () => 'reinstall the plugin (npm install <package>); its import threw, see the message',
  E_VAULT_UNAVAILABLE: () => 'start Vault or unseal it (vault operator unseal), and check secrets-vault address; vault status shows its state',
  E_VAULT_TIMEOUT: () => 'check that Vault answers at the configured address (curl $VAULT_ADDR/v1/sys/health) and requestTimeoutSeconds',
  E_VAULT_AUTH_FAILED: () => 'give Helios a valid token (vault token create -policy=helios -period=24h) or fix the AppRole credentials',
  E_VAULT_CONFIG: () => 'set the token/secret_id file or variable named in the secrets-vault auth config',
};

export function fixFor(err: HeliosError): string {
  return FIXES[err.code]?.(err) ?? 'the message says what to change; run helios doctor again afterwards';
}
