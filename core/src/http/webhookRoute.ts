import { HeliosError, isHeliosError, type Forge, type HttpRoute, type Logger } from '@helios-ci/sdk';
import type { Store } from '../store/index.js';
import { checkForgeEventShape } from './forgeEventShape.js';

export const WEBHOOK_MAX_BYTES = 25 * 1024 * 1024;

/**
 * `POST /hooks/<forge id>` for every configured forge: the forge checks the signature over the raw
 * bytes and normalises the event; the delivery goes into the inbox (deduplicated by delivery id)
 * and the answer is 202 at once. Planning happens afterwards, from the inbox.
 */
export function webhookRoute(forge: Forge, store: Store, onReceived: (inboxId: number) => void, logger: Logger): HttpRoute {
  return {
    method: 'POST',
    path: `/hooks/${forge.id}`,
    maxBodyBytes: WEBHOOK_MAX_BYTES,
    async handler(req) {
      let event;
      try {
        event = await forge.verifyAndParse({ headers: req.headers, rawBody: req.rawBody });
      } catch (err) {
        if (isHeliosError(err) && (err.code === 'E_SIGNATURE_INVALID' || err.code === 'E_UNAUTHORIZED')) {
          logger.warn('webhook refused', { forge: forge.id, code: err.code });
          return { status: 401, body: { error: { code: err.code, message: err.message } } };
        }
        if (isHeliosError(err)) return { status: 400, body: { error: { code: err.code, message: err.message } } };
        if (err instanceof TypeError) {
          // A payload field of an unexpected type (a string where an object belongs, …) tripped the plugin's parser.
          logger.warn('webhook payload of unexpected shape', { forge: forge.id, error: err.message });
          const message = `the ${forge.id} delivery has fields of unexpected types (${err.message}); the payload does not match what the forge sends`;
          return { status: 400, body: { error: { code: 'E_WEBHOOK_INVALID', message } } };
        }
        throw new HeliosError('E_WEBHOOK_FAILED', `forge ${forge.id} could not read the delivery: ${(err as Error).message}`, { cause: err });
      }
      if (!event) return { status: 202, body: { status: 'ignored' } };
      try {
        checkForgeEventShape(forge.id, event);
      } catch (err) {
        const e = err as HeliosError;
        logger.warn('webhook payload of unexpected shape', { forge: forge.id, code: e.code, error: e.message });
        return { status: 400, body: { error: { code: e.code, message: e.message } } };
      }
      const { record, duplicate } = store.inbox.receive({ forge: forge.id, deliveryId: event.deliveryId, kind: event.kind, payload: event });
      if (!duplicate) onReceived(record.id);
      return { status: 202, body: { status: duplicate ? 'duplicate' : 'accepted', delivery: event.deliveryId } };
    },
  };
}
