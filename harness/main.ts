// The entry of the `chaos` CLI with every command (bin/chaos.mjs loads it from dist/, or from the
// sources through tsx).
import { runCli } from './cli.js';
import { loadCommand } from './commands/load.js';

runCli(loadCommand);
