import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { cachedRandomCheckpoint } from '../../src/cli/bench/cached-checkpoint';
import { MEDIUM_CONFIG } from '../../src/lib/dph/bench/checkpoint';

// The paper's medium shape (570 M parameters, 1.14 GB of random F16 weights), written once by Node under the user's
// cache folder (never the repository) and reused by later runs and by `dph bench --part medium`.
test("the paper's medium-shape checkpoint loads on wasm in the Score page and scores a candidate, layer-streamed", async ({
	page,
}) => {
	test.setTimeout(900_000);
	const dir = await cachedRandomCheckpoint('medium', MEDIUM_CONFIG);
	const t0 = Date.now();
	await page.goto('/score?backend=wasm');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
	await page.getByTestId('open-files').setInputFiles(readdirSync(dir).map((f) => join(dir, f)));
	const card = page.getByTestId('model-card');
	await expect(card).toContainText('569,864,192', { timeout: 600_000 });
	await expect(card).toContainText('F16');
	const loaded = Date.now();
	await page.getByTestId('prompt').fill('Name a warm color.');
	const boxes = page.getByTestId('candidate');
	await boxes.nth(0).fill('red');
	for (let i = 1; i < (await boxes.count()); i++) await boxes.nth(i).fill('');
	await page.getByTestId('score').click();
	// A streamed pass shows its blocks with a Stop button while it runs.
	await expect(page.getByTestId('score-progress')).toContainText(/block \d+ \/ 18/, { timeout: 120_000 });
	// Rows are sorted by reward, so the typed candidate's row is found by its text (the empty one is the other row).
	const row = page.getByTestId('score-results').locator('tbody tr', { hasText: 'red' });
	await expect(row).toHaveCount(1, { timeout: 600_000 });
	const text = (await row.textContent()) ?? '';
	// Reward and log-prob cells are finite numbers (random weights: their values mean nothing).
	expect(text).toMatch(/-?\d+\.\d+/);
	expect(text).not.toMatch(/NaN/);
	console.log(
		`medium on wasm in Chromium: load ${((loaded - t0) / 1000).toFixed(0)} s, score ${((Date.now() - loaded) / 1000).toFixed(0)} s`,
	);
});
