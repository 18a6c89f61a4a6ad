#!/usr/bin/env node
// The executable (package.json "bin"); everything it does is in cli/.
import './young-objects.js';
import { main } from './cli/main.js';

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(
      `redis-cluster-tunnel: unexpected error: ${e instanceof Error ? e.stack : String(e)}\n`,
    );
    process.exitCode = 1;
  },
);
