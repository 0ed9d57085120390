#!/usr/bin/env node
// The `nimbus` command: loads the TypeScript CLI through tsx, whatever the caller's cwd.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
register({ tsconfig: fs.existsSync(tsconfig) ? tsconfig : false });
await import('../src/cli/index.ts');
