// Shared set-up for `npm start` and `npm test`: make a fresh clone ready without manual steps.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function log(msg) {
	process.stderr.write(`\x1b[36m›\x1b[0m ${msg}\n`);
}

/** A tool installed in node_modules/.bin (called directly: no npx start-up cost or npm config warnings). */
export function bin(name) {
	return join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
}

/** Run a command inheriting stdio; returns its exit code. */
export function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
	if (r.error) throw r.error;
	return r.status ?? 1;
}

/**
 * The production build (`vite build --logLevel warn`), its output shown as it would be and also scanned: Vite only
 * warns when a browser chunk imports a Node module ("externalized for browser compatibility"), and such a chunk
 * throws when loaded, so a leak fails the build here. Returns 0 on success, else non-zero after saying which leaked.
 */
export function viteBuild() {
	const r = spawnSync(bin('vite'), ['build', '--logLevel', 'warn'], {
		cwd: root,
		encoding: 'utf8',
		stdio: ['inherit', 'pipe', 'pipe'],
		maxBuffer: 64 * 1024 * 1024,
	});
	if (r.error) throw r.error;
	process.stdout.write(r.stdout ?? '');
	process.stderr.write(r.stderr ?? '');
	const leaks = [];
	for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
		if (!line.includes('externalized for browser compatibility')) continue;
		const m = /Module "([^"]+)" has been externalized.*imported by "([^"]+)"/.exec(line);
		leaks.push(m ? `${m[1]} (imported by ${m[2].replace(`${root}/`, '')})` : line.trim());
	}
	if (leaks.length) {
		log(`The build pulled Node-only modules into the browser bundle: ${[...new Set(leaks)].join('; ')}.`);
		log('Node adapters belong in src/node/ or src/cli/, not in code a page, worker or notebook cell can import.');
		return 1;
	}
	return r.status ?? 1;
}

/**
 * Why node_modules is not in step with package-lock.json, or null when it is. Compares every locked package
 * with what npm recorded as installed (node_modules/.package-lock.json), which is fast and exact.
 */
export function depsOutOfDate() {
	const lockPath = join(root, 'package-lock.json');
	const installedPath = join(root, 'node_modules', '.package-lock.json');
	if (!existsSync(join(root, 'node_modules'))) return 'node_modules is missing';
	if (!existsSync(installedPath)) return 'node_modules was not installed by npm';
	if (!existsSync(lockPath)) return 'package-lock.json is missing';
	const lock = JSON.parse(readFileSync(lockPath, 'utf8')).packages ?? {};
	const installed = JSON.parse(readFileSync(installedPath, 'utf8')).packages ?? {};
	for (const [path, meta] of Object.entries(lock)) {
		if (path === '' || meta.optional || meta.peer) continue;
		const have = installed[path];
		if (!have) return `${path.replace(/^node_modules\//, '')} is not installed`;
		if (have.version !== meta.version)
			return `${path.replace(/^node_modules\//, '')} is ${have.version}, locked ${meta.version}`;
	}
	return null;
}

/**
 * The Node version package.json's `engines` names (">=A.B"), checked before anything is installed: on an older
 * Node, npm and Vite fail later with messages that do not say the version is the cause.
 */
export function ensureNodeVersion(current = process.versions.node) {
	const want = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node ?? '';
	const m = /^>=\s*(\d+)\.(\d+)/.exec(want);
	if (!m) return;
	const [major, minor] = current.split('.').map(Number);
	const [wantMajor, wantMinor] = [Number(m[1]), Number(m[2])];
	if (major > wantMajor || (major === wantMajor && minor >= wantMinor)) return;
	log(`DPH Workbench needs Node ${wantMajor}.${wantMinor} or newer (package.json "engines"); this is Node ${current}.`);
	log('Install a current Node (https://nodejs.org, or `nvm install --lts`) and run the command again.');
	process.exit(1);
}

export function ensureDeps() {
	ensureNodeVersion();
	const why = depsOutOfDate();
	if (!why) return;
	log(`Installing npm dependencies (${why})…`);
	// `npm install` honours package-lock.json. Not `npm ci`: it rejects a lock that omits optional platform
	// binaries the registry does not carry (e.g. some @biomejs/cli-* builds), which `npm install` just skips.
	const code = run('npm', ['install', '--no-audit', '--no-fund']);
	if (code !== 0) {
		log('npm could not install the dependencies; see the messages above.');
		process.exit(code);
	}
}

export function chromiumPath() {
	const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
	return candidates.find((p) => existsSync(p)) ?? null;
}

/** Debian's Chromium (and the Vulkan loader + SwiftShader ICD it ships) for browser tests and Node WebGPU. */
export function ensureChromium() {
	if (chromiumPath() && existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) return chromiumPath();
	const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	const hasApt = existsSync('/usr/bin/apt-get');
	if (isRoot && hasApt) {
		log('Installing Debian chromium, libvulkan1 and fonts (needed for browser tests and WebGPU)…');
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
		if (run('apt-get', ['update', '-qq'], { env }) === 0) {
			run('apt-get', ['install', '-y', '-qq', 'chromium', 'libvulkan1', 'fonts-dejavu-core', 'fonts-liberation'], {
				env,
			});
		}
		if (chromiumPath()) return chromiumPath();
	}
	log(
		'Chromium is missing. Install it with: sudo apt-get install -y chromium libvulkan1 ' +
			'(or set CHROMIUM_PATH to a Chromium binary), then run npm test again.',
	);
	process.exit(1);
}

/** A fingerprint of everything the static build depends on, so `npm start` rebuilds only when needed. */
export function sourceFingerprint() {
	const h = createHash('sha256');
	const walk = (dir) => {
		if (!existsSync(dir)) return;
		for (const name of readdirSync(dir).sort()) {
			const p = join(dir, name);
			const st = statSync(p);
			if (st.isDirectory()) walk(p);
			else h.update(`${p}:${st.size}:${st.mtimeMs}\n`);
		}
	};
	for (const d of ['src', 'static', 'notebooks', 'scripts']) walk(join(root, d));
	for (const f of ['package-lock.json', 'svelte.config.js', 'vite.config.ts', 'tsconfig.json']) {
		const p = join(root, f);
		if (existsSync(p)) h.update(`${f}:${statSync(p).mtimeMs}\n`);
	}
	return h.digest('hex');
}
