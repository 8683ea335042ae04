#!/usr/bin/env node
// The server browser tests run against: the real build and server, but notebooks/ copied to a temporary folder so
// tests that press Save never touch the repository's files. The folder is also written to
// $TMPDIR/dph-test-server-<port>.json, so a test can look at the files themselves (tests/browser/cross-origin.spec.ts).
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkbenchServer, listen } from '../server/serve.mjs';
import { root } from './lib/setup.mjs';

const dir = mkdtempSync(join(tmpdir(), 'dph-test-notebooks-'));
cpSync(join(root, 'notebooks'), dir, { recursive: true });
const port = await listen(
	createWorkbenchServer({ notebooksDir: dir, host: '127.0.0.1' }),
	Number(process.env.PORT ?? 4317),
	'127.0.0.1',
	0,
);
writeFileSync(join(tmpdir(), `dph-test-server-${port}.json`), JSON.stringify({ notebooksDir: dir }));
console.log(`test server on http://127.0.0.1:${port}/ with notebooks in ${dir}`);
