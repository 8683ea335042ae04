import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { cachedRandomCheckpoint } from '../../src/cli/bench/cached-checkpoint';
import { MEDIUM_CONFIG } from '../../src/lib/dph/bench/checkpoint';

/**
 * Measures, never asserts, the threaded wasm speed-up in Chromium (docs/BENCHMARKS.md, "Backend choice and wasm
 * threads"), wasm with `?threads=1` against `?threads=<cores>`, alternating: the Train page's default run (nano
 * LSWT, 16 pairs per step; tokens/s of each step after the first, read from the status line), and the Score page
 * scoring one 128-token candidate of the paper's medium shape (layer-streamed, random F16 weights).
 * Run with DPH_BENCH_BROWSER=1; left out otherwise (playwright.config.ts), since it only prints figures.
 */

async function run(page: Page, threads: number | null, steps: number): Promise<{ threads: string; tokPerS: number[] }> {
	await page.goto(`/train?backend=wasm${threads ? `&threads=${threads}` : ''}`);
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
	await page.getByTestId('train-steps').fill(String(steps));
	await page.getByTestId('train-start').click();
	const seen: number[] = [];
	const status = page.getByTestId('train-status');
	for (let last = 0; last < steps; ) {
		const text = (await status.textContent({ timeout: 120_000 })) ?? '';
		const step = Number(/Step (\d+) \//.exec(text)?.[1] ?? 0);
		const rate = Number(/([\d.]+) tokens\/s/.exec(text)?.[1] ?? Number.NaN);
		if (step > last && step > 1 && Number.isFinite(rate)) seen.push(rate);
		last = Math.max(last, step);
		await page.waitForTimeout(50);
	}
	await expect(page.getByTestId('train-result')).toContainText('Finished', { timeout: 120_000 });
	const report = await page.getByTestId('backend-badge').getAttribute('title');
	return { threads: /(\d+) threads?/.exec(report ?? '')?.[1] ?? '?', tokPerS: seen };
}

test('wasm threads on and off: Train page tokens/s in Chromium', async ({ page }) => {
	test.setTimeout(600_000);
	const rows: string[] = [];
	const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
	const all: Record<string, number[]> = {};
	for (const threads of [1, null, 1, null]) {
		const r = await run(page, threads, 12);
		const key = threads === 1 ? 'one' : 'default';
		all[key] = [...(all[key] ?? []), ...r.tokPerS];
		rows.push(
			`${key === 'one' ? '?threads=1' : 'default'} (worker reports ${r.threads}): median ${median(r.tokPerS).toFixed(0)} tokens/s over ${r.tokPerS.length} steps`,
		);
	}
	const [one, many] = [all.one ?? [], all.default ?? []];
	rows.push(`speed-up ${(median(many) / median(one)).toFixed(2)}× (median of every step after the first)`);
	console.log(
		`\nwasm threads in Chromium (${await page.evaluate(() => navigator.hardwareConcurrency)} cores):\n  ${rows.join('\n  ')}\n`,
	);
	expect(one.length).toBeGreaterThan(0);
	expect(many.length).toBeGreaterThan(0);
});

const words = 'the quick brown fox jumps over a lazy dog while seven red birds sing'.split(' ');
/** 128 tokens for the medium model's candidate (the bench checkpoint's tokenizer has one token per character). */
const longCandidate = Array.from({ length: 40 }, (_, i) => words[i % words.length])
	.join(' ')
	.slice(0, 128);

async function scoreMedium(page: Page, dir: string, threads: number): Promise<{ threads: string; seconds: number }> {
	await page.goto(`/score?backend=wasm&threads=${threads}`);
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
	await page.getByTestId('open-files').setInputFiles(readdirSync(dir).map((f) => join(dir, f)));
	await expect(page.getByTestId('model-card')).toContainText('569,864,192', { timeout: 600_000 });
	await page.getByTestId('prompt').fill('Write one long sentence.');
	const boxes = page.getByTestId('candidate');
	await boxes.nth(0).fill(longCandidate);
	for (let i = 1; i < (await boxes.count()); i++) await boxes.nth(i).fill('');
	const t0 = Date.now();
	await page.getByTestId('score').click();
	await expect(page.getByTestId('score-results').locator('tbody tr', { hasText: 'quick brown' })).toHaveCount(1, {
		timeout: 600_000,
	});
	const seconds = (Date.now() - t0) / 1000;
	const report = await page.getByTestId('backend-badge').getAttribute('title');
	return { threads: /(\d+) threads?/.exec(report ?? '')?.[1] ?? '?', seconds };
}

test('wasm threads on and off: medium-shape scoring on the Score page in Chromium', async ({ page }) => {
	test.setTimeout(1_200_000);
	const dir = await cachedRandomCheckpoint('medium', MEDIUM_CONFIG);
	const cores = await page.evaluate(() => navigator.hardwareConcurrency);
	const rows: string[] = [];
	const times: Record<string, number[]> = { one: [], many: [] };
	for (const threads of [1, cores, 1, cores]) {
		const r = await scoreMedium(page, dir, threads);
		times[threads === 1 ? 'one' : 'many'].push(r.seconds);
		rows.push(`?threads=${threads} (worker reports ${r.threads}): ${r.seconds.toFixed(1)} s to score`);
	}
	const best = (xs: number[]) => Math.min(...xs);
	rows.push(`speed-up ${(best(times.one) / best(times.many)).toFixed(2)}× (best of two each)`);
	console.log(`\nmedium scoring, wasm threads in Chromium (${cores} cores):\n  ${rows.join('\n  ')}\n`);
	expect(times.one.length).toBe(2);
});
