// The `chaos` CLI (DESIGN.md's contract). Each command lives in harness/commands/<name>.ts and
// is loaded only when used, through the loader an entry passes in: harness/main.ts imports any
// command module (harness/commands/load.ts); harness/main-check.ts, bundled into
// dist/cli-check.cjs for the start-up of `chaos check`, has `check` built in and nothing else.
// Every command returns its exit status; bad input is an InputError, printed as one line.
import { Command, CommanderError, Option } from 'commander';
import { InputError, EXIT } from '../ground/errors.js';
import { emergencyCleanup, harnessFailure } from './run/harness-failure.js';

export type CommandModule = Record<string, (args: string[], opts: Record<string, unknown>) => Promise<number>>;
/** The module of a command by its file name under harness/commands/ (`run`, `image-build`, ...). */
export type CommandLoader = (name: string) => Promise<CommandModule>;

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function buildProgram(load: CommandLoader): Command {
  const action =
    (name: string, exported = 'default') =>
    async (...params: unknown[]) => {
      const cmd = params[params.length - 1] as Command;
      const opts = cmd.opts();
      const args = cmd.args;
      const mod = await load(name);
      process.exitCode = await mod[exported](args, opts);
    };

  const program = new Command('chaos')
    .description('Chaos testing and verification for replicating storage')
    .showHelpAfterError(false)
    .enablePositionalOptions()
    .exitOverride();

  program
    .command('run')
    .description('boot a cluster, run a workload under faults, check the history, write a report')
    .option('--system <name|path>', 'system under test: blockstore, etcd, redis, or a module exporting a System', 'blockstore')
    .addOption(new Option('--runtime <runtime>', 'where nodes run').choices(['docker', 'sim', 'auto']).default('auto'))
    .option('--workload <w>', 'a workload the system supports (chaos systems lists them)', 'register')
    .option('--nemesis <faults>', 'swarm (default: each seed draws its own fault mix), workload (its fixed list), none, all, or comma-separated fault kinds')
    .option('--time-limit <s>', 'seconds of workload', '30')
    .option('--seed <n>', 'seed of the op and fault schedules (default: random, printed)')
    .option('--bug <switch>', 'node bug switch (repeatable)', collect, [])
    .option('--plan <file>', 'a fault plan as data (a JSON list of steps, or a run\'s config.json) instead of one drawn from the seed')
    .option('--param <key=value>', 'node parameter, e.g. leaseMs=2500 (repeatable)', collect, [])
    .option('--concurrency <c>', 'client processes')
    .option('--think-ms <ms>', 'mean think time between a process\'s ops (default: the workload\'s 10 on docker, 300 in the sim)')
    .option('--out <dir>', 'runs directory', 'runs')
    .option('--json', 'print results as JSON')
    .option('--op-limit <n>', 'stop invoking after N workload ops')
    .option('--require-docker', 'with --runtime auto: fail (exit 2) rather than fall back to the simulator (implied by CI=true)')
    .action(action('run'));

  program
    .command('check')
    .description('check histories for linearizability')
    .argument('<file...>', 'history files')
    .option('--model <m>', 'register | cas-register | etcd-cas-register | kv, or the path of a model module')
    .option('--initial <v>', 'initial register value')
    .addOption(new Option('--format <f>', 'input format').choices(['auto', 'jsonl', 'edn', 'jepsen-log', 'porcupine-kv']).default('auto'))
    .option('--timeout <s>', 'give up with unknown after S seconds per file')
    .option('--json', 'one JSON object per file')
    .action(action('check'));

  program.command('replay').description('rerun a run with its recorded config and seed').argument('<run-dir>').option('--out <dir>', 'runs directory').action(action('replay'));
  program
    .command('report')
    .description('(re)build report.html and junit.xml from a run directory')
    .argument('<run-dir>')
    .option('--recheck', 'run every checker over the history again (rewrites results.json)')
    .action(action('report'));

  program
    .command('sweep')
    .description('run many seeds in the simulator')
    .option('--seeds <range>', 'A..B', '1..100')
    .option('--workers <k>', 'worker threads')
    .option('--shard <i/n>', 'this machine runs shard i of n')
    .option('--system <name|path>', 'system under test (one with a sans-IO core)', 'blockstore')
    .option('--workload <w>', 'workload', 'register')
    .option('--nemesis <faults>', 'swarm (default), workload, none, all, or comma-separated fault kinds')
    .option('--time-limit <s>', 'simulated seconds per seed', '30')
    .option('--bug <switch>', 'node bug switch (repeatable)', collect, [])
    .option('--concurrency <c>', 'client processes')
    .option('--think-ms <ms>', 'mean think time between a process\'s ops (default 300)')
    .option('--keep-going', 'do not stop at the first failing seed')
    .option('--out <dir>', 'runs directory', 'runs')
    .option('--json', 'print the summary as JSON')
    .action(action('sweep'));

  program.command('shrink').description('shrink a failing sim run to the faults and ops that matter').argument('<run-dir>').action(action('shrink'));

  program
    .command('systems')
    .description('list the built-in systems: nodes, faults, workloads and checkers')
    .option('--json', 'as JSON')
    .action(action('systems'));

  const suite = program
    .command('suite')
    .description('run a suite file of cases (workload x seeds x switches, each with an expectation); junit.xml, summary.json, index.html')
    .argument('<file>', 'suite YAML file (docs/ci.md)')
    .option('--shard <i/n>', 'this machine runs shard i of n')
    .option('--parallel <k>', 'docker runs at once', '1')
    .option('--workers <k>', 'sim worker threads (default: one per core)')
    .option('--runtime <runtime>', 'only the cases on this runtime (sim or docker)')
    .option('--out <dir>', 'runs directory (the suite writes <dir>/suites/<name>/<stamp>/)', 'runs')
    .option('--json', 'print the summary as JSON')
    // `chaos suite merge DIR --out X`: --out belongs to merge, not to suite.
    .enablePositionalOptions()
    .action(action('suite'));
  suite
    .command('merge')
    .description('join the outputs of --shard runs into one junit.xml, summary.json and index.html')
    .argument('<dir...>', 'shard output directories (or folders holding them)')
    .option('--out <dir>', 'runs directory', 'runs')
    .option('--json', 'print the summary as JSON')
    .action(action('suite', 'merge'));

  program
    .command('runs')
    .description('list past runs under the runs directory, rewrite its index.html and point latest at the last finished run')
    .option('--out <dir>', 'runs directory', 'runs')
    .option('--json', 'print the list as JSON')
    .action(action('runs'));

  const image = program.command('image').description('the node container image');
  image.command('build').description('build the node image locally (no registry)').option('--force', 'rebuild even if the tag exists').action(action('image-build'));

  program
    .command('down')
    .description('remove the containers, networks and volumes of chaos runs whose process is gone (dead runs)')
    .option('--all', 'remove those of every chaos run, live ones included (other users\' on a shared engine too)')
    .action(action('down'));
  return program;
}

export async function main(argv: string[], load: CommandLoader): Promise<number> {
  const program = buildProgram(load);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors; usage mistakes are bad input (exit 2).
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT.input;
    }
    if (e instanceof InputError) {
      process.stderr.write(`chaos: ${e.message}\n`);
      return EXIT.input;
    }
    // Anything else is the harness failing (never exit 1, which means a violation was found):
    // the stack goes to a log file, one line to stderr.
    return harnessFailure(e);
  }
}

/** Runs the CLI on process.argv and exits with its status (bin/chaos.mjs, through an entry). */
export function runCli(load: CommandLoader): void {
  // process.exit does not wait for a pipe to drain: exit only once stdout and stderr have
  // flushed what was written (a large --json output would be cut otherwise)
  const flushed = (s: NodeJS.WriteStream) => new Promise<void>((r) => (s.writableLength === 0 ? r() : s.write('', () => r())));
  const exit = (code: number) => Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => process.exit(code));
  // An error no await caught (a socket's, a timer's) would end node with status 1, which CI reads
  // as "violation found": it is a harness failure, exit 4, like any other.
  let dying = false;
  const fatal = (e: unknown) => {
    const code = harnessFailure(e);
    if (dying) return;
    dying = true;
    // Tear the run's cluster down before going (its own resources only), then exit 4.
    void emergencyCleanup().finally(() => exit(code));
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  main(process.argv, load).then(exit, fatal);
}
