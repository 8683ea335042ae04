import { expect, test } from '@playwright/test';

test('the Sweeps page runs a 2-run sweep in the worker, shows mean ± sd, keeps results over a reload and opens a run', async ({
	page,
}) => {
	// SwiftShader runs WebGPU kernels on the CPU: two runs of two steps take tens of seconds here.
	test.setTimeout(300_000);
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await page.goto('/sweeps');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
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
