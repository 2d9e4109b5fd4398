// The sdk Queue conformance suite against a real nats-server with JetStream (one stream per case).
import { test } from 'uvu';
import { queueConformance } from '@helios-ci/sdk/testkit';
import { connectNats } from '../src/connection.js';
import { NatsQueue, type NatsQueueSettings } from '../src/natsQueue.js';
import { Subjects } from '../src/subjects.js';
import { natsServerMissing, natsTest, startNatsServer, type NatsServer } from './natsServer.js';

const t = natsTest(test);
let server: NatsServer | null = null;
let n = 0;

const settings = (i: number): NatsQueueSettings => ({
  stream: `CONF_${i}`,
  subjects: new Subjects(`conf${i}`),
  // Short: the persistence case waits for a message the "dead" instance held to come back.
  ackWaitMs: 1000,
  maxDeliver: -1,
  maxAckPending: 1000,
  duplicateWindowMs: 120_000,
  baseBackoffMs: 200,
  maxBackoffMs: 2000,
  consumeLabels: null,
  pullExpiresMs: 1000,
});

const suite = queueConformance(
  'queue-nats',
  async () => {
    const s = settings(++n);
    let q = new NatsQueue(await connectNats({ servers: [server!.url] }), s);
    await q.ensureStream();
    const open = [q];
    return {
      subject: q,
      async reopen() {
        // The process "dies": its connection closes without acking or nacking anything.
        await q.connection.close();
        q = new NatsQueue(await connectNats({ servers: [server!.url] }), s);
        open.push(q);
        return q;
      },
      async cleanup() {
        for (const x of open) await x.close().catch(() => undefined);
      },
    };
  },
  { deliveryTimeoutMs: 5000, quietMs: 300 },
);

if (natsServerMissing()) {
  t('Queue conformance: queue-nats', () => undefined);
  t.run();
} else {
  suite.before(async () => {
    server = await startNatsServer();
  });
  suite.after(async () => {
    await server?.cleanup();
  });
  suite.run();
}
