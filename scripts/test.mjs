#!/usr/bin/env node
// `npm test`: set up what is missing, then run every suite — lint, type check, unit tests (with real WebGPU in
// Node), the production build and browser tests in real Chromium — and end with one line: "N passed, N failed".
// Skipped tests count as failed: a GPU test that silently skips would hide exactly what it exists to catch.
//   npm test -- --suites unit,browser     run only some suites (lint, types, unit, build, browser)
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bin, chromiumPath, ensureChromium, ensureDeps, log, root, run, viteBuild } from './lib/setup.mjs';

const ALL = ['lint', 'types', 'unit', 'build', 'browser'];
const argv = process.argv.slice(2);
const suitesArg = argv.find((a) => a.startsWith('--suites='))?.slice(9) ?? argv[argv.indexOf('--suites') + 1];
const suites = argv.some((a) => a.startsWith('--suites')) ? suitesArg.split(',') : ALL;
for (const s of suites) {
	if (!ALL.includes(s)) {
		console.error(`npm test: unknown suite "${s}"; valid: ${ALL.join(', ')}`);
		process.exit(2);
	}
}

const t0 = Date.now();
ensureDeps();
if (suites.includes('browser') || suites.includes('unit')) ensureChromium();
const reports = join(root, '.cache', 'test-reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

/** @type {{suite: string, passed: number, failed: number, seconds: number, note?: string}[]} */
const results = [];
const timed = (suite, fn) => {
	const s = Date.now();
	log(`${suite}…`);
	const r = fn();
	results.push({ suite, ...r, seconds: (Date.now() - s) / 1000 });
};
const readJson = (p) => (existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null);

run(bin('svelte-kit'), ['sync']);

if (suites.includes('lint')) {
	timed('lint (biome)', () =>
		run(bin('biome'), ['check', '.']) === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 },
	);
}
if (suites.includes('types')) {
	timed('types (svelte-check)', () =>
		run(bin('svelte-check'), ['--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'human']) === 0
			? { passed: 1, failed: 0 }
			: { passed: 0, failed: 1 },
	);
}
if (suites.includes('unit')) {
	timed('unit (vitest)', () => {
		const out = join(reports, 'vitest.json');
		const code = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
		const j = readJson(out);
		if (!j) return { passed: 0, failed: 1, note: `vitest exited ${code} without a report` };
		const failed = j.numFailedTests + j.numPendingTests + j.numTodoTests + (j.numFailedTestSuites ?? 0);
		return { passed: j.numPassedTests, failed: code !== 0 && failed === 0 ? 1 : failed };
	});
}
let built = true;
if (suites.includes('build') || suites.includes('browser')) {
	timed('build (vite)', () => {
		built = viteBuild() === 0;
		return built ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
	});
}
if (suites.includes('browser')) {
	timed('browser (playwright + chromium)', () => {
		if (!built) return { passed: 0, failed: 1, note: 'skipped: the build failed' };
		const out = join(reports, 'playwright.json');
		const code = run(bin('playwright'), ['test', '--reporter=list,json'], {
			env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: out, CHROMIUM_PATH: chromiumPath() ?? '' },
		});
		const j = readJson(out);
		if (!j) return { passed: 0, failed: 1, note: `playwright exited ${code} without a report` };
		const st = j.stats;
		const failed = st.unexpected + st.flaky + st.skipped + (j.errors?.length ?? 0);
		return { passed: st.expected, failed: code !== 0 && failed === 0 ? 1 : failed };
	});
}

const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log('\nSuite                              passed  failed   seconds');
for (const r of results) {
	console.log(
		`${r.suite.padEnd(34)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${r.seconds.toFixed(1).padStart(8)}${r.note ? `  (${r.note})` : ''}`,
	);
}
console.log(`\nTotal time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
