#!/usr/bin/env node
// `chaos check`'s start-up path (issue 15: under 100 ms on a small file). Part of `npm run build`,
// after tsc: bundles dist/harness/main-check.js (the CLI with only `check` built in) and what it
// imports, commander included, into one CommonJS file, dist/cli-check.cjs, and lists the sources
// it was built from in dist/cli-check.sources.json (scripts/build-stamp.mjs records them).
// bin/chaos.mjs compiles that file with a V8 code cache (dist/cli-check.cjs.cache), which a
// first `chaos check` writes; `--warm`, run by `npm run build` after the stamp, is that first run.
//
// Why: node 20 spends ~45 ms of CPU on the modules of `chaos check` from dist/ (resolving and
// reading ~25 ES modules and commander's CommonJS, compiling them, then compiling each function
// as it is first called), on top of node's own ~65 ms. One file saves the per-module work; a
// script (not a module) may carry V8's code cache, which node 20 offers for neither ES modules
// nor require(); and the cache made after a run holds the functions that ran, compiled.
//
// The bundle's first line names its content (`// chaos cli-check <sha256 prefix>`); the cache
// starts with the same name, so a cache made from another build is never used (V8 itself only
// checks the source's length).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const out = join(dist, 'cli-check.cjs');
const cache = `${out}.cache`;
const sourcesFile = join(dist, 'cli-check.sources.json');

if (process.argv.includes('--warm')) {
  // One `chaos check` through bin/chaos.mjs on a small history with a few of each op: it takes
  // the bundle's path (the stamp is fresh now) and, finding no cache, writes one on exit.
  const dir = mkdtempSync(join(tmpdir(), 'chaos-warm-'));
  try {
    const file = join(dir, 'warm.jsonl');
    const lines = [];
    let i = 0;
    const ev = (process, type, f, value) => lines.push(JSON.stringify({ index: i, time: i++ * 1000, process, type, f, value }));
    for (let round = 0; round < 20; round++) {
      for (let p = 0; p < 3; p++) ev(p, 'invoke', ['write', 'read', 'cas'][p], [round, null, [round, round + 1]][p]);
      ev(0, 'ok', 'write', round);
      ev(1, 'ok', 'read', round);
      ev(2, round % 4 ? 'ok' : 'fail', 'cas', [round, round + 1]);
      if (round % 4) ev(0, 'invoke', 'write', round + 1), ev(0, 'ok', 'write', round + 1);
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const r = spawnSync(process.execPath, [join(root, 'bin', 'chaos.mjs'), 'check', file], { encoding: 'utf8' });
    if (r.status !== 0 || !/: valid \(/.test(r.stdout)) throw new Error(`warm-up check failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
    if (!existsSync(cache)) console.error(`bundle-check: ${relative(root, cache)} was not written (dist/ not fresh?); chaos check starts without it`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

// What differs in the bundle from the modules in dist/, each for a reason:
// - `import.meta`: tsc's output keeps it (the parallel checker finds its worker beside
//   parallel.js); in the bundle each module gets its own, naming the dist/ file it came from;
// - import(): a script has none of its own (ground/import-module.ts says why), so
//   ground/import-module.js becomes bin/chaos.mjs's, passed in as __chaosImport;
// - child_process: commander requires it at load, for subcommands that are executables of their
//   own (chaos has none): ~1 ms of node internals (net, dgram, ...) `chaos check` never uses. In
//   the bundle commander gets it on first use.
const virtual = {
  'import-module': 'export const importModule = (specifier) => __chaosImport(specifier);',
  'lazy-child-process': "let cp;\nmodule.exports = new Proxy({}, { get: (_, key) => (cp ??= require('node:child_process'))[key] });",
};
const chaosPlugin = {
  name: 'chaos-cli-check',
  setup(b) {
    b.onResolve({ filter: /import-module\.js$/ }, (args) =>
      join(args.resolveDir, args.path) === join(dist, 'ground', 'import-module.js') ? { path: 'import-module', namespace: 'chaos' } : undefined,
    );
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${join('node_modules', 'commander')}/`) ? { path: 'lazy-child-process', namespace: 'chaos' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'chaos' }, (args) => ({ contents: virtual[args.path], loader: 'js' }));
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + '/')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const rel = JSON.stringify(relative(dist, args.path));
      return { contents: text.replace(/\bimport\.meta\b/g, `__chaosImportMeta(${rel})`), loader: 'js' };
    });
  },
};
const banner = [
  `const __chaosImportMeta = (rel) => {`,
  `  const file = require('node:path').join(__dirname, rel);`,
  `  const { pathToFileURL } = require('node:url');`,
  `  return { url: pathToFileURL(file).href, resolve: (s) => pathToFileURL(require('node:module').createRequire(file).resolve(s)).href };`,
  `};`,
].join('\n');

for (const f of [out, cache, sourcesFile]) if (existsSync(f)) unlinkSync(f);
const result = await build({
  entryPoints: [join(dist, 'harness', 'main-check.js')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // tsx (loading a user's TypeScript model) stays a dynamic import() of node_modules
  external: ['tsx', 'tsx/*'],
  plugins: [chaosPlugin],
  banner: { js: banner },
  write: false,
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
});
const code = result.outputFiles[0].text;
// Any import() left in the bundle would fail when it runs; the one allowed is in the text of the
// code a worker thread evaluates (ground/threads.ts, from the sources only).
const stray = code.split('\n').filter((l) => /\bimport\(/.test(l) && !/const boot = `import\(/.test(l));
if (stray.length) throw new Error(`bundle-check: import() left in the bundle (use ground/import-module.ts):\n${stray.join('\n')}`);
const id = createHash('sha256').update(code).digest('hex').slice(0, 16);
writeFileSync(out, `// chaos cli-check ${id}\n${code}`);

// What the bundle was built from: each dist/ input's .ts, and the package.json of each package
// bundled in (commander), so that an edit, or an `npm ci` bringing another version, makes the
// bin leave the bundle until the next build.
const sources = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const abs = join(root, input);
  const pkg = /^(.*[/\\]node_modules[/\\](?:@[^/\\]+[/\\])?[^/\\]+)[/\\]/.exec(abs);
  if (pkg) {
    sources.add(relative(root, join(pkg[1], 'package.json')));
    continue;
  }
  if (!abs.startsWith(dist + '/')) continue; // the plugin's own modules
  const ts = join(root, relative(dist, abs)).replace(/\.js$/, '.ts');
  if (!existsSync(ts)) throw new Error(`bundle-check: no source for ${input} (expected ${relative(root, ts)})`);
  sources.add(relative(root, ts));
}
writeFileSync(sourcesFile, JSON.stringify([...sources].sort()) + '\n');
console.log(`bundle-check: ${relative(root, out)} (${(code.length / 1024).toFixed(0)} KiB, ${sources.size} sources)`);
