#!/usr/bin/env node
// The server browser tests run against: the real build and server, but notebooks/ copied to a temporary folder so
// tests that press Save never touch the repository's files.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkbenchServer, listen } from '../server/serve.mjs';
import { root } from './lib/setup.mjs';

const dir = mkdtempSync(join(tmpdir(), 'dph-test-notebooks-'));
cpSync(join(root, 'notebooks'), dir, { recursive: true });
const port = await listen(
	createWorkbenchServer({ notebooksDir: dir }),
	Number(process.env.PORT ?? 4317),
	'127.0.0.1',
	0,
);
console.log(`test server on http://127.0.0.1:${port}/ with notebooks in ${dir}`);
