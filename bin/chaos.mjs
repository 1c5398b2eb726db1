#!/usr/bin/env node
// The package bin. It runs the compiled CLI in dist/ when dist/ was built from the sources as
// they are now (`npm run build`, which scripts/setup.sh runs, records them in
// dist/.sources.json); otherwise the TypeScript sources through tsx, so a checkout works
// without a build step, only slower to start (~300 ms of transpiling against ~40 ms).
// CHAOS_FROM_SOURCE=1 forces the sources.
//
// Loading takes a while on a busy machine. A signal in that time has nothing to heal or
// remove, but must still end like an interrupted command (exit 3, one line), not kill node by
// the signal: harness/run/lifecycle.ts takes over from these handlers when a command starts.
const early = (sig) => {
  process.stderr.write(`chaos: ${sig} before the command started; nothing ran and nothing was made\n`);
  process.exit(3);
};
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const s of signals) process.on(s, early);
globalThis[Symbol.for('chaos.earlySignals')] = () => {
  for (const s of signals) process.off(s, early);
};

// Imported dynamically below: a static import would be loaded before the handlers above exist.
const { readFileSync, statSync } = await import('node:fs');

function distIsFresh() {
  if (process.env.CHAOS_FROM_SOURCE === '1') return false;
  try {
    const root = new URL('../', import.meta.url);
    const { files } = JSON.parse(readFileSync(new URL('dist/.sources.json', root), 'utf8'));
    for (const [file, mtime, size] of files) {
      const s = statSync(new URL(file, root));
      if (s.mtimeMs !== mtime || s.size !== size) return false;
    }
    return true;
  } catch {
    return false;
  }
}

if (distIsFresh()) {
  await import('../dist/harness/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../harness/main.ts');
}
