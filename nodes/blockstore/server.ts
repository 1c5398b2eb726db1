#!/usr/bin/env node
// One block-store node as a process: `node dist/nodes/server.js --name a --role primary ...`.
// Flags, the ready line and the on-disk layout: nodes/server/README.md.
import { createNode } from './core/index.js';
import { serverMain } from './server/main.js';

serverMain(process.argv.slice(2), createNode).then(
  (r) => {
    if (r !== 'serving') process.exit(r);
  },
  (e) => {
    process.stderr.write(`server: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
