export { conformanceSuite, type ConformanceCase, type Subject } from './conformance.js';
export { secretsConformance, SECRET_SEED, type SecretSeed } from './secretsConformance.js';
export { createTestKernel, verifyPlugin, type TestKernel, type TestKernelOptions } from './testKernel.js';
