/** A unit of work on the queue: a job id plus enough routing data to choose a consumer. */
export interface QueueMessage {
  jobId: string;
  /** runs-on labels; a consumer only takes what its runtimes serve. */
  labels: string[];
  /** How many times it was delivered before (0 on first delivery). */
  redeliveries: number;
}

export interface QueueDelivery {
  message: QueueMessage;
  /** Done: never deliver again. */
  ack(): Promise<void>;
  /** Not done: deliver again after `delayMs` (default: the queue's backoff). */
  nack(delayMs?: number): Promise<void>;
}

export interface QueueSubscription {
  /** Stop receiving; in-flight deliveries stay un-acked and are redelivered later. */
  close(): Promise<void>;
}

/** The work queue between planning and the orchestrators (in-process, or NATS JetStream). */
export interface Queue {
  /** Idempotent per jobId: publishing the same job twice delivers it once. */
  publish(message: Omit<QueueMessage, 'redeliveries'>): Promise<void>;
  /** At most `capacity` un-acked deliveries at once are handed to `handler`. */
  consume(capacity: number, handler: (delivery: QueueDelivery) => Promise<void>): Promise<QueueSubscription>;
}
