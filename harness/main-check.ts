// The entry of `chaos check`'s start-up path: the same CLI (harness/cli.ts) with only `check`
// built in. `npm run build` bundles it with esbuild into dist/cli-check.cjs (scripts/bundle-check.mjs),
// which bin/chaos.mjs runs, with a V8 code cache, when the command is `check` and the sources it
// was built from are unchanged. Every other command goes through harness/main.ts.
import { runCli } from './cli.js';
import check from './commands/check.js';

runCli(async (name) => {
  if (name === 'check') return { default: check };
  // bin/chaos.mjs sends only `chaos check ...` here: another command's action cannot run
  throw new Error(`command module ${name} is not part of dist/cli-check.cjs`);
});
