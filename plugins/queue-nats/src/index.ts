export { NatsQueue, type NatsQueueSettings } from './natsQueue.js';
export { connectNats, type NatsConnectionConfig } from './connection.js';
export { Subjects, labelToken } from './subjects.js';
