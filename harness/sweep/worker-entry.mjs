// Worker threads do not inherit a loader registered in-process (bin/chaos.mjs uses tsx's
// API), so each worker registers tsx itself before loading the TypeScript worker.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
