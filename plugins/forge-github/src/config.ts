import { Type, type Static } from '@helios-ci/sdk';

export const DEFAULT_BASE_URL = 'https://api.github.com';
export const DEFAULT_CHECK_NAME = '{workflow} / {job}';

/** The plugin's helios.yaml `config:` block. Secrets arrive already resolved (`{ secret: ... }`). */
export const GitHubConfigSchema = Type.Object(
  {
    appId: Type.Integer({ minimum: 1, description: 'the GitHub App id (App settings → About → App ID)' }),
    privateKey: Type.String({ minLength: 1, description: "the App's private key (PEM); give it as a secret reference" }),
    webhookSecret: Type.String({ minLength: 1, description: "the App's webhook secret; give it as a secret reference" }),
    baseUrl: Type.String({ default: DEFAULT_BASE_URL, pattern: '^https?://', description: 'REST API root; GitHub Enterprise Server: https://HOST/api/v3' }),
    webUrl: Type.Optional(
      Type.String({ pattern: '^https?://', description: 'web/git root for clone URLs (default: derived from baseUrl: github.com, or the GHES host)' }),
    ),
    checkName: Type.String({ default: DEFAULT_CHECK_NAME, minLength: 1, description: 'check run name template; placeholders {workflow} and {job} (the job name carries matrix values)' }),
    allowedOwners: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'only deliveries for repositories of these owners (users or orgs) are accepted; others are ignored' }),
    ),
  },
  { additionalProperties: false },
);

export type GitHubConfig = Static<typeof GitHubConfigSchema>;

/**
 * Where clones come from: github.com for api.github.com, the host root for a GHES `/api/v3` base,
 * and the API root itself otherwise (a stand-in or proxy serving both).
 */
export function deriveWebUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  const path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/api/v3')) return `${url.origin}${path.slice(0, -'/api/v3'.length)}`;
  return `${url.origin}${path}`;
}
