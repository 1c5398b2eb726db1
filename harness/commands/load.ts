// Loads a command module by its file name under harness/commands/ (`run`, `image-build`, ...).
// Kept apart from harness/cli.ts so that an entry with its commands built in (harness/main-check.ts)
// does not pull in every command with it.
import type { CommandModule } from '../cli.js';

export const loadCommand = (name: string): Promise<CommandModule> => import(`./${name}.js`) as Promise<CommandModule>;
