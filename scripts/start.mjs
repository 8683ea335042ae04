#!/usr/bin/env node
// `npm start`: install what is missing, build when sources changed, serve the workbench and open it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDeps, log, root, sourceFingerprint, viteBuild } from './lib/setup.mjs';

const args = new Set(process.argv.slice(2));
ensureDeps();

const stamp = join(root, 'build', '.dph-build-stamp');
const fingerprint = sourceFingerprint();
const fresh = existsSync(stamp) && readFileSync(stamp, 'utf8') === fingerprint;
if (!fresh || args.has('--rebuild')) {
	log('Building the workbench…');
	if (viteBuild() !== 0) {
		log('The build failed; see the messages above.');
		process.exit(1);
	}
	writeFileSync(stamp, fingerprint);
} else {
	log('Build is up to date.');
}

const { createWorkbenchServer, listen } = await import('../server/serve.mjs');
const host = process.env.HOST ?? '127.0.0.1';
const port = await listen(createWorkbenchServer({ host }), Number(process.env.PORT ?? 4173), host);
const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`;
console.log(`\n  DPH Workbench is running at \x1b[1m${url}\x1b[0m\n  Press Ctrl+C to stop.\n`);

// Open a browser only where there is a screen to open it on.
const canOpen =
	!args.has('--no-open') &&
	!process.env.CI &&
	(process.platform === 'darwin' || process.platform === 'win32' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
if (canOpen) {
	const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
	spawn(opener, [url], { stdio: 'ignore', detached: true })
		.on('error', () => {})
		.unref();
}
