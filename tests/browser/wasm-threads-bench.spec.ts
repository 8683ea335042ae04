import { expect, type Page, test } from '@playwright/test';

/**
 * Measures, never asserts, the threaded wasm speed-up in Chromium (docs/BENCHMARKS.md, "Backend choice and wasm
 * threads"): the Train page's default run (nano LSWT, 16 pairs per step) on wasm with 1 thread and with the
 * default (a thread per core here), alternating, tokens/s of each step after the first read from the status line.
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
