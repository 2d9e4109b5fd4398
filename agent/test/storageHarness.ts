/** Jobs that use caches and artifacts: the real AgentService behind the in-test storage server. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentService, type JobConclusion, type JobHandle } from '@helios-ci/core';
import type { BuiltinAction, BuiltinStep, JobSpec } from '@helios-ci/sdk';
import { AGENT_BUNDLE, killLeftovers, makeRepo, RecordingSink, startAgent, type AgentProcess, type Repo } from './helpers.js';
import { StorageTestServer } from './storageServer.js';

export interface StorageHarness {
  root: string;
  repo: Repo;
  storage: StorageTestServer;
  /** HOME of every agent started by runJob (so `~` paths are the same place across jobs). */
  home: string;
  runJob(spec: JobSpec, onStart?: (handle: JobHandle, sink: RecordingSink) => void): Promise<{ sink: RecordingSink; conclusion: JobConclusion; agent: AgentProcess; workspace: string }>;
  close(): Promise<void>;
}

let counter = 0;
/** A builtin step as the planner makes it from `uses: <uses>` with `with:`. */
export function uses(action: BuiltinAction, usesText: string, withMap: Record<string, string>, extra: Partial<BuiltinStep> = {}): BuiltinStep {
  counter++;
  return { id: `s${counter}`, name: `Run ${usesText}`, if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'builtin', action, uses: usesText, with: withMap, ...extra };
}

export async function storageHarness(): Promise<StorageHarness> {
  const root = mkdtempSync(join(tmpdir(), 'helios-agent-storage-'));
  const repo = makeRepo(root);
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  const service = new AgentService({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 5_000 });
  const { endpoint: upstream } = await service.start();
  const storage = new StorageTestServer(upstream);
  const endpoint = await storage.start();
  const pgidFiles: string[] = [];
  // The bundle runs from a directory with no node_modules anywhere above it: tar, yazl, yauzl and
  // minimatch must be inside the one file.
  const bundle = join(root, 'helios-agent.mjs');
  copyFileSync(AGENT_BUNDLE, bundle);
  return {
    root,
    repo,
    storage,
    home,
    async runJob(spec, onStart) {
      const sink = new RecordingSink();
      const handle = service.registerJob(spec, sink);
      onStart?.(handle, sink);
      storage.allow(handle.token, spec.runId);
      const agent = startAgent(endpoint, handle.token, root, [], bundle, { HOME: home });
      pgidFiles.push(agent.pgidFile);
      const conclusion = await handle.done;
      await agent.exit;
      return { sink, conclusion, agent, workspace: join(agent.workDir, 'work', 'widget') };
    },
    async close() {
      killLeftovers(pgidFiles);
      await storage.stop();
      await service.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
