import { Type, type Static } from '@helios-ci/sdk';

export const DEFAULT_CONTEXT_TEMPLATE = 'helios/{workflow}/{job}';
/**
 * Forgejo has no API rate limit by default, but a shared instance (Codeberg) deserves restraint:
 * statuses are the only writes, one per coalesced job update, so 120/min serves ~40 busy jobs.
 */
export const DEFAULT_REQUESTS_PER_MINUTE = 120;

export const ForgejoConfigSchema = Type.Object(
  {
    baseUrl: Type.String({ pattern: '^https?://', description: 'the Forgejo/Gitea root URL, e.g. https://codeberg.org (the API is <baseUrl>/api/v1)' }),
    token: Type.String({ minLength: 1, description: 'access token (write:repository) sent as "Authorization: token …"; use { secret: … }' }),
    cloneToken: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'a read-only token (read:repository scope) the agent clones with; untrusted runs (approved fork pull requests) never get `token`, so a private repository needs this for them; use { secret: … }',
      }),
    ),
    webhookSecret: Type.String({ minLength: 1, description: 'the webhook secret; use { secret: … } or { env: … }' }),
    contextTemplate: Type.String({ default: DEFAULT_CONTEXT_TEMPLATE, minLength: 1, description: 'commit status context; {workflow} and {job} are replaced' }),
    allowedOwners: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'only repositories of these owners (users or organisations) trigger runs' })),
    requestsPerMinute: Type.Integer({ default: DEFAULT_REQUESTS_PER_MINUTE, minimum: 1, description: 'status writes per minute this instance may send' }),
    requestTimeoutSeconds: Type.Number({ default: 20, exclusiveMinimum: 0, description: 'one API request taking longer fails (and is retried by the kernel)' }),
  },
  { additionalProperties: false },
);

export type ForgejoConfig = Static<typeof ForgejoConfigSchema>;
