#!/usr/bin/env node
// The package bin. It runs the compiled CLI in dist/ when dist/ was built from the sources as
// they are now (`npm run build`, which scripts/setup.sh runs, records them in
// dist/.sources.json); otherwise the TypeScript sources through tsx, so a checkout works
// without a build step, only slower to start (~200 ms more, transpiling).
// CHAOS_FROM_SOURCE=1 forces the sources; CHAOS_CHECK_BUNDLE=0 sends `chaos check` the way of
// the other commands (dist/harness/main.js).
//
// `chaos check` has a faster start-up of its own (~20 ms CPU of our own on top of node's, against ~55
// from dist/harness/main.js): dist/cli-check.cjs, the same CLI with only `check` in it, bundled
// into one script (scripts/bundle-check.mjs), compiled here with the V8 code cache a first run
// wrote beside it, and trusted while the ~20 sources it was built from are unchanged.
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
const [{ readFileSync, statSync, writeFileSync, renameSync, rmSync }, { fileURLToPath }] = await Promise.all([import('node:fs'), import('node:url')]);
const root = fileURLToPath(new URL('../', import.meta.url));

/** dist/.sources.json, or null when dist/ is not to be used. */
function stamp() {
  if (process.env.CHAOS_FROM_SOURCE === '1') return null;
  try {
    return JSON.parse(readFileSync(`${root}dist/.sources.json`, 'utf8'));
  } catch {
    return null;
  }
}

/** Whether each [file, mtime, size] is as recorded. */
function unchanged(files) {
  for (const [file, mtime, size] of files) {
    const s = statSync(root + file, { throwIfNoEntry: false });
    if (!s || s.mtimeMs !== mtime || s.size !== size) return false;
  }
  return true;
}

/** Runs dist/cli-check.cjs as a script compiled with its code cache; false when it is missing. */
async function runCheckBundle() {
  const file = `${root}dist/cli-check.cjs`;
  let source;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const [vm, { createRequire }] = await Promise.all([import('node:vm'), import('node:module')]);
  // The cache names the build it was made from (the bundle's first line), so it is never used
  // with another one; V8 rejects one made by another node version or with other flags.
  const id = Buffer.from(source.slice(0, source.indexOf('\n') + 1));
  const cacheFile = `${file}.cache`;
  let cachedData;
  try {
    const c = readFileSync(cacheFile);
    if (c.subarray(0, id.length).equals(id)) cachedData = c.subarray(id.length);
  } catch {}
  // The bundle's dynamic imports (a user's model module, tsx) come through __chaosImport: a
  // script has no import() of its own (ground/import-module.ts).
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __chaosImport) { 'use strict'; ${source}\n})`, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Made at exit, it holds the functions this run compiled. Written whole or not at all
    // (a read-only dist/ just goes without).
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(tmp, Buffer.concat([id, script.createCachedData()]));
        renameSync(tmp, cacheFile);
      } catch {
        try {
          rmSync(tmp, { force: true });
        } catch {}
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, `${root}dist`, (specifier) => import(specifier));
  return true;
}

const built = stamp();
if (built && process.argv[2] === 'check' && built.check && process.env.CHAOS_CHECK_BUNDLE !== '0' && unchanged(built.check) && (await runCheckBundle())) {
  // running: the bundle calls runCli itself
} else if (built && unchanged(built.files)) {
  await import('../dist/harness/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../harness/main.ts');
}
