import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { HeliosError, type ForgeEvent } from '@helios-ci/sdk';

/*
 * The shape of the sdk's ForgeEvent, checked on what a forge plugin returns for a (signed) delivery
 * before it enters the inbox. Plugins copy payload fields into the event; a payload with a number
 * where a string belongs would otherwise be accepted (202) and fail in planning with a TypeError,
 * over and over. Extra properties are allowed: plugins may carry more than the kernel reads.
 */
const Str = Type.String();
const RepoRef = Type.Object({ owner: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }), id: Type.Optional(Str), installationId: Type.Optional(Str) });
const base = { deliveryId: Type.String({ minLength: 1 }), forge: Type.String({ minLength: 1 }) };

const SHAPES: Record<ForgeEvent['kind'], TSchema> = {
  push: Type.Object({ ...base, repo: RepoRef, ref: Str, before: Str, after: Str, changedFiles: Type.Optional(Type.Array(Str)), sender: Str }),
  pullRequest: Type.Object({
    ...base,
    repo: RepoRef,
    number: Type.Integer({ minimum: 1 }),
    action: Str,
    head: Type.Object({ sha: Type.String({ minLength: 1 }), ref: Type.String({ minLength: 1 }), repo: RepoRef }),
    base: Type.Object({ ref: Type.String({ minLength: 1 }) }),
    fromFork: Type.Boolean(),
    author: Str,
  }),
  rerun: Type.Object({
    ...base,
    repo: RepoRef,
    checkId: Type.Optional(Str),
    suiteId: Type.Optional(Str),
    sha: Type.Optional(Str),
    scope: Type.Union([Type.Literal('one'), Type.Literal('failed'), Type.Literal('all')]),
    sender: Str,
  }),
  cancel: Type.Object({ ...base, repo: RepoRef, checkId: Str, sender: Str }),
  approve: Type.Object({ ...base, repo: RepoRef, target: Str, sender: Str }),
  installation: Type.Object({ ...base, action: Str, installationId: Str, repos: Type.Array(RepoRef) }),
  ping: Type.Object(base),
};

/** Throws E_WEBHOOK_INVALID naming the first field of the wrong type (the forge's payload field it came from). */
export function checkForgeEventShape(forgeId: string, event: ForgeEvent): void {
  const kind = (event as { kind?: unknown }).kind;
  const schema = typeof kind === 'string' ? SHAPES[kind as ForgeEvent['kind']] : undefined;
  if (!schema) throw new HeliosError('E_WEBHOOK_INVALID', `forge ${forgeId} read the delivery as an event of unknown kind ${JSON.stringify(kind)}`);
  const first = Value.Errors(schema, event).First();
  if (first) {
    throw new HeliosError(
      'E_WEBHOOK_INVALID',
      `the ${forgeId} delivery has a field of the wrong type: ${kind} event ${first.path || '/'} ${first.message.toLowerCase()} (got ${JSON.stringify(first.value)?.slice(0, 80)}); the payload does not match what the forge sends`,
    );
  }
}
