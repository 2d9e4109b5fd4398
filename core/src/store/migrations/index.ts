import * as m001 from './001_initial.js';
import * as m002 from './002_queue.js';
import * as m003 from './003_approvals.js';
import * as m004 from './004_caches_artifacts.js';
import * as m005 from './005_log_chunks.js';
import * as m006 from './006_warm_heads.js';
import * as m007 from './007_job_timings.js';
import * as m008 from './008_ui_sessions.js';
import * as m009 from './009_job_indexes.js';
import * as m010 from './010_job_agents.js';
import * as m011 from './011_environment_approvals.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in order. Append only; the version is the position (1-based). */
export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011].map((m, i) => ({ version: i + 1, name: m.name, sql: m.sql }));

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
