import { Type } from '@sinclair/typebox';

/** Run and job ids: UUIDs from Helios, or ids `helios run`/tests chose; never path separators or spaces. */
export const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$' }) });

export const RunListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    /** The last run id of the previous page. */
    before: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$' })),
  },
  { additionalProperties: false },
);

export const LogQuery = Type.Object(
  {
    from: Type.Integer({ minimum: 1, default: 1 }),
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  },
  { additionalProperties: false },
);

export const LogStreamQuery = Type.Object({ from: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });

/** `Last-Event-ID`: the seq of the last line the client has. */
export const LastEventId = Type.Integer({ minimum: 0 });

export const CreateRunBody = Type.Object(
  {
    repository: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s)://, git:// or file:// URL, or an absolute path of a git repository' }),
    ref: Type.String({ minLength: 1, maxLength: 255, description: 'branch, tag, full ref or commit sha' }),
    event: Type.Union([Type.Literal('push'), Type.Literal('workflow_dispatch'), Type.Literal('pull_request')], { default: 'push' }),
    inputs: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,99}$' }), Type.String({ maxLength: 65_536 }))),
    workflows: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 50 })),
  },
  { additionalProperties: false },
);
