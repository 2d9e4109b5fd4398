export { Kernel, type KernelOptions, type PluginInfo, type StopReport } from './kernel/kernel.js';
export { MemoryLogSink, createLogger } from './kernel/logger.js';
export { Redactor } from './kernel/redactor.js';
export { runCli } from './cli/main.js';
export { createHttpApp } from './http/app.js';
export { verifyPlugin, type VerifyStep } from './kernel/verifyPlugin.js';
