/**
 * The Agent service definition core and the agent build with @helios-ci/proto's
 * grpcServiceDefinition (no proto-loader) against the one proto-loader builds from the same .proto:
 * same methods, paths, streaming, names, and messages that cross between the two unchanged.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { agentProtoFile } from '@helios-ci/proto';
import { agentClientConstructor, agentServiceDefinition, PROTO_LOADER_OPTIONS } from '../../src/index.js';

type Method = grpc.MethodDefinition<unknown, unknown>;
const test = suite('agent service definition');

function protoLoaderDefinition(): grpc.ServiceDefinition {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(agentProtoFile, PROTO_LOADER_OPTIONS)) as unknown as { helios: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } } };
  return pkg.helios.agent.v1.Agent.service;
}

test('same methods, paths, streaming and original names as proto-loader', () => {
  const ours = agentServiceDefinition();
  const theirs = protoLoaderDefinition();
  assert.equal(Object.keys(ours).sort(), Object.keys(theirs).sort());
  for (const name of Object.keys(theirs)) {
    const a = ours[name] as Method;
    const b = theirs[name] as Method;
    assert.equal([a.path, a.requestStream, a.responseStream, a.originalName], [b.path, b.requestStream, b.responseStream, b.originalName], name);
  }
  assert.ok(Object.keys(ours).length >= 6);
});

test('messages cross between the two definitions unchanged, both ways', () => {
  const ours = agentServiceDefinition().Session as Method;
  const theirs = protoLoaderDefinition().Session as Method;
  const fromAgent = { seq: 7, log: { step: 'build', stream: 'STDERR', ts: 1700000000123, lines: Buffer.from('a\nb'), lineCount: 2 } };
  const viaOurs = ours.requestDeserialize(theirs.requestSerialize(fromAgent) as Buffer);
  const viaTheirs = theirs.requestDeserialize(ours.requestSerialize(fromAgent) as Buffer);
  assert.equal(viaOurs, viaTheirs);
  assert.is((viaOurs as { body: string }).body, 'log');
  const { lines, ...log } = (viaOurs as { log: { lines: Buffer } }).log;
  assert.equal(log, { step: 'build', stream: 'STDERR', ts: 1700000000123, lineCount: 2 });
  assert.is(Buffer.from(lines).toString(), 'a\nb');
  const fromServer = { ack: { seq: 41 } };
  assert.equal(ours.responseDeserialize(theirs.responseSerialize(fromServer) as Buffer), theirs.responseDeserialize(ours.responseSerialize(fromServer) as Buffer));
  assert.throws(() => ours.requestSerialize([] as never), /expected object with AgentMessage structure/);
});

test('a client built from it has the camelCase method aliases', () => {
  const Client = agentClientConstructor();
  assert.type(Client.prototype.Session, 'function');
  assert.type(Client.prototype.session, 'function');
  assert.type(Client.prototype.uploadArtifact, 'function');
});

test.run();
