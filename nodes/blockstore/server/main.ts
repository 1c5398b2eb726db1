// The server process around a NodeShell: parse flags, start, print the ready line, stop
// cleanly on SIGTERM/SIGINT. Split from nodes/server.ts so tests can run it with any core.
import { InputError } from '../../../ground/errors.js';
import type { NodeConfig, NodeCore, NodeParams } from '../core/types.js';
import { DEFAULT_PARAMS, parseServerArgs, USAGE } from './config.js';
import { NodeShell, stdLogger } from './shell.js';

/** The server's exit status after a core exception. */
export const CORE_CRASH_EXIT = 70;

export async function serverMain(
  argv: string[],
  createCore: (cfg: NodeConfig) => NodeCore,
  defaults: NodeParams = DEFAULT_PARAMS,
): Promise<number | 'serving'> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let shell: NodeShell;
  try {
    const config = parseServerArgs(argv, defaults);
    // A core exception stops the node (shell.ts); the process then exits 70 (EX_SOFTWARE), so
    // the container is seen dead, like any crash, and its log holds the CORE-CRASH line.
    shell = new NodeShell({ config, createCore, onCoreCrash: () => process.exit(CORE_CRASH_EXIT) });
    const addr = await shell.start();
    // The one line container wait strategies and the tests wait for.
    process.stdout.write(`ready ${config.node.name} ${addr.host}:${addr.port}\n`);
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`server: cannot start: ${err.code ? `${err.code} ` : ''}${err.message.split('\n')[0]}\n`);
    return 1;
  }
  const stop = (sig: string) => {
    stdLogger('info', `${sig}: stopping`);
    shell.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return 'serving';
}
