import { storageConformance } from '@helios-ci/sdk/testkit';
import { dirHarness, QUOTA } from './dirHarness.js';

storageConformance('storage-dir', () => dirHarness(), { quota: { bytes: QUOTA, makeHarness: () => dirHarness(QUOTA) } }).run();
