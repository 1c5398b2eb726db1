// Worker threads do not inherit the tsx loader bin/chaos.mjs registers, so each suite worker
// registers it before loading the TypeScript worker.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
