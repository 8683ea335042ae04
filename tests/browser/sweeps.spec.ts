import { expect, test } from '@playwright/test';
import { onBackend } from './backend';

// The first checks the sweep machinery (worker, table, storage), not a backend: wasm runs the demo sweep in seconds
// where SwiftShader's WebGPU takes minutes. The second stays on WebGPU (the default here): its runs must overlap on
// the two workers, and on wasm a 2-step run can end before the second worker has started.
test.describe('on wasm', () => {
	test.use(onBackend('wasm'));

	test('the Sweeps page runs a 2-run sweep in the worker, shows mean ± sd, keeps results over a reload and opens a run', async ({
		page,
	}) => {
		test.setTimeout(300_000);
		const errors: string[] = [];
		page.on('pageerror', (e) => errors.push(e.message));
		await page.goto('/sweeps');
		await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', {
			timeout: 60_000,
		});

		// A spec error names the field, inline.
		const spec = page.getByTestId('sweep-spec');
		await spec.fill('{"grid": {"dphEps": [0.1, 0.7]}}');
		await expect(page.getByTestId('sweep-spec-status')).toContainText(
			'grid.dphEps[1] = 0.7 is out of range: valid 0 ≤ dphEps ≤ 0.5',
		);
		await expect(page.getByTestId('sweep-start')).toBeDisabled();

		await page.getByRole('button', { name: 'Tiny demo (2 runs, seconds)' }).click();
		await expect(page.getByTestId('sweep-spec-status')).toContainText('2 runs (seed ×2)');
		await page.getByTestId('sweep-start').click();
		await expect(page.getByTestId('sweep-progress')).toBeVisible();
		const table = page.getByTestId('sweep-table');
		// One row (no axis but the seed) with n = 2 and a mean ± sd in every metric column.
		await expect(table.locator('tbody tr')).toHaveCount(1, { timeout: 240_000 });
		await expect(page.getByTestId('sweep-start')).toHaveText(/All 2 runs done/, { timeout: 240_000 });
		const cells = table.locator('tbody tr td');
		await expect(cells.nth(0)).toHaveText('2');
		await expect(cells.nth(1)).toHaveText(/^-?\d+\.\d\d ± \d+\.\d\d$/);
		await expect(page.getByTestId('sweep-plots').locator('svg').first()).toBeVisible();

		const before = await cells.nth(1).textContent();
		// Results live in IndexedDB: after a reload the table is back and nothing needs to run.
		await page.reload();
		await expect(page.getByTestId('sweep-start')).toHaveText(/All 2 runs done/, { timeout: 30_000 });
		await expect(page.getByTestId('sweep-table').locator('tbody tr td').nth(1)).toHaveText(before ?? '');
		await page.getByRole('button', { name: 'open run' }).first().click();
		await expect(page.getByTestId('sweep-open-run')).toContainText('seed=1');
		await expect(page.getByTestId('run-curves').locator(':scope > figure')).toHaveCount(3);
		await expect(page.getByTestId('run-curves').locator('svg').first()).toBeVisible();
		expect(errors).toEqual([]);
	});
});

test('the Sweeps page runs a sweep on two workers at once, and the table equals the one of a single worker', async ({
	page,
}) => {
	// Two SwiftShader WebGPU devices share the CPU with each other (and with other work): minutes, not seconds.
	test.setTimeout(900_000);
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await page.goto('/sweeps');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	await page.getByRole('button', { name: 'Tiny demo (2 runs, seconds)' }).click();
	const start = page.getByTestId('sweep-start');
	const rows = page.getByTestId('sweep-table').locator('tbody tr');

	const runWith = async (workers: string) => {
		await page.getByTestId('sweep-workers-choice').selectOption(workers);
		await start.click();
		await expect(page.getByTestId('sweep-progress')).toHaveAttribute('data-workers', workers);
		// Both runs in progress at the same time, one on each worker.
		if (workers === '2') await expect(page.getByTestId('sweep-worker-run')).toHaveCount(2, { timeout: 400_000 });
		await expect(start).toHaveText(/All 2 runs done/, { timeout: 400_000 });
		await expect(rows).toHaveCount(1);
		return (await rows.first().locator('td').allTextContents()).map((t) => t.trim()).join(' | ');
	};
	const two = await runWith('2');
	expect(two).toMatch(/^2 \| -?\d+\.\d\d ± \d+\.\d\d/);
	await page.getByRole('button', { name: 'Clear stored results' }).click();
	await expect(start).toHaveText('Start sweep');
	const one = await runWith('1');
	expect(one).toBe(two);
	expect(errors).toEqual([]);
});
