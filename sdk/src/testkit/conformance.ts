import { suite, type Test } from 'uvu';
import { describeThrown } from '../errors.js';

export interface ConformanceCase<S> {
  name: string;
  run(subject: S): Promise<void>;
}

export interface Subject<S> {
  subject: S;
  cleanup?(): Promise<void> | void;
}

/**
 * Builds a uvu suite that runs every case against a fresh subject. A plugin author calls the
 * interface's suite (e.g. `secretsConformance(...)`) and `.run()`s it like any uvu suite.
 */
export function conformanceSuite<S>(title: string, create: () => Promise<Subject<S>>, cases: ConformanceCase<S>[]): Test {
  const test = suite(title);
  for (const c of cases) {
    test(c.name, async () => {
      // uvu's reporter crashes on some thrown values (an object `details`, a thrown string) and the
      // file then exits 0 with the failure unreported; hand it a plain Error it can print.
      try {
        const { subject, cleanup } = await create();
        try {
          await c.run(subject);
        } finally {
          await cleanup?.();
        }
      } catch (err) {
        throw describeThrown(err);
      }
    });
  }
  return test;
}
