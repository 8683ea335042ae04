import { expect, test } from '@playwright/test';
import { onBackend } from './backend';

// A first visit: nothing stored, so the worker times wasm, cpu and WebGPU (SwiftShader here) and picks the fastest.
test.describe('the backend chosen by measurement', () => {
	test.use(onBackend(null));

	test('on SwiftShader the page measures and picks wasm, keeps the figures, and a user override persists', async ({
		page,
		context,
	}) => {
		test.setTimeout(240_000);
		const wasmFiles: string[] = [];
		context.on('request', (r) => {
			const m = /\/tfjs-wasm\/([\w.-]+)$/.exec(r.url());
			if (m) wasmFiles.push(m[1]);
		});
		await page.goto('/system');
		expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
		const badge = page.getByTestId('backend-badge');
		await expect(badge).toHaveAttribute('data-backend', 'wasm', { timeout: 180_000 });
		await expect(badge).toHaveAttribute('data-source', 'measure');
		const figures = page.getByTestId('choice-figures');
		await expect(figures.locator('tr[data-backend="webgpu"]')).toContainText('SwiftShader');
		await expect(figures.locator('tr[data-backend="webgpu"]')).toContainText('software');
		await expect(page.getByTestId('choice-summary')).toContainText(
			/^wasm( · \d+ threads?)? · [\d ]+ tok\/s — faster here than .*WebGPU · SwiftShader/,
		);
		// Isolated, the worker's wasm loads the threaded SIMD build and is timed with a thread per core (tfjs alone
		// would cap the pool at half the cores: one thread on 2 cores) and with one; it keeps the faster.
		expect(wasmFiles).toContain('tfjs-backend-wasm-threaded-simd.wasm');
		expect(wasmFiles).toContain('tfjs-backend-wasm-threaded-simd.js');
		const cores = Math.min(8, await page.evaluate(() => navigator.hardwareConcurrency));
		if (cores > 1) {
			await expect(figures.locator(`tr[data-backend="wasm"][data-threads="${cores}"]`)).toContainText(
				`${cores} threads`,
			);
			await expect(figures.locator('tr[data-backend="wasm"][data-threads="1"]')).toContainText('1 thread');
		}
		const threads = Number(await page.getByTestId('backend-threads').textContent());
		await expect(figures.locator(`tr.chosen[data-backend="wasm"][data-threads="${threads}"]`)).toHaveCount(1);
		await expect(page.getByTestId('isolation')).toContainText('Cross-origin isolated');

		// The next visit uses the stored measurement without timing anything.
		await page.reload();
		await expect(badge).toHaveAttribute('data-source', 'measured', { timeout: 60_000 });
		await expect(badge).toHaveAttribute('data-backend', 'wasm');
		await expect(page.getByTestId('measure-progress')).toHaveCount(0);

		// An override persists across visits; "Automatic" goes back to the measured choice.
		await page.getByTestId('backend-override').selectOption('cpu');
		await expect(badge).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
		await page.reload();
		await expect(badge).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
		await expect(badge).toHaveAttribute('data-source', 'override');
		await page.getByTestId('backend-override').selectOption('auto');
		await expect(badge).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
	});

	test('?backend=webgpu forces WebGPU on a first visit, without measuring', async ({ page }) => {
		await page.goto('/system?backend=webgpu');
		const badge = page.getByTestId('backend-badge');
		await expect(badge).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });
		await expect(badge).toHaveAttribute('data-source', 'forced');
		await expect(badge).toHaveText(/WebGPU · SwiftShader/);
		await expect(page.getByTestId('measure-progress')).toHaveCount(0);
		expect(await page.evaluate(() => localStorage.getItem('dph-backend-measurement'))).toBeNull();
	});
});
