import { EventEmitter } from 'eventemitter3';
import type { EventBus, KernelEvents, Logger } from '@helios-ci/sdk';

/** The typed kernel bus. A listener that throws is logged, never breaks the emitter. */
export function createEventBus(logger: Logger): EventBus {
  const emitter = new EventEmitter();
  return {
    on(event, listener) {
      const safe = (payload: KernelEvents[typeof event]) => {
        try {
          listener(payload);
        } catch (err) {
          logger.error('event listener failed', { event, error: err });
        }
      };
      emitter.on(event, safe);
      return () => void emitter.off(event, safe);
    },
    emit(event, payload) {
      emitter.emit(event, payload);
    },
  };
}
