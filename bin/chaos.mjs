#!/usr/bin/env node
// The package bin. It loads the TypeScript sources through tsx so that a checkout works
// without a build step; containers run the compiled dist/ instead.
import { register } from 'tsx/esm/api';
register();
await import('../harness/cli.ts');
