#!/usr/bin/env node
// The package bin. It loads the TypeScript sources through tsx so that a checkout works
// without a build step; containers run the compiled dist/ instead.
//
// Loading takes a second or more on a busy machine. A signal in that time has nothing to heal
// or remove, but must still end like an interrupted command (exit 3, one line), not kill node
// by the signal: harness/run/lifecycle.ts takes over from these handlers when a command starts.
const early = (sig) => {
  process.stderr.write(`chaos: ${sig} before the command started; nothing ran and nothing was made\n`);
  process.exit(3);
};
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const s of signals) process.on(s, early);
globalThis[Symbol.for('chaos.earlySignals')] = () => {
  for (const s of signals) process.off(s, early);
};
// Imported dynamically: a static import would be loaded before the handlers above exist.
const { register } = await import('tsx/esm/api');
register();
await import('../harness/cli.ts');
