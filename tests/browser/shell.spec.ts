import { expect, test } from '@playwright/test';

test('home page shows the shell, the notebooks and a WebGPU badge from the compute worker', async ({ page }) => {
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await page.goto('/');
	await expect(page.getByRole('heading', { level: 1 })).toContainText('Direct Preference Heads');
	const list = page.getByTestId('notebook-list');
	await expect(list.getByRole('link').first()).toContainText('Welcome to DPH Workbench');
	for (const label of ['Notebooks', 'Train', 'Score', 'Sweeps']) {
		await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label })).toBeVisible();
	}
	const badge = page.getByTestId('backend-badge');
	await expect(badge).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });
	await expect(badge).toHaveText(/WebGPU · SwiftShader/);
	await page.screenshot({ path: 'test-results/home.png', fullPage: true });
	expect(errors).toEqual([]);
});

test('the System page trains a few steps in a Web Worker on WebGPU', async ({ page }) => {
	await page.goto('/system');
	await expect(page.getByTestId('backend-name')).toHaveText('webgpu', { timeout: 60_000 });
	await expect(page.getByTestId('backend-report')).toContainText('Web Worker');
	await page.getByLabel('Steps').fill('6');
	await page.getByTestId('run-selftest').click();
	const result = page.getByTestId('selftest-result');
	await expect(result).toContainText('Done on WebGPU · SwiftShader', { timeout: 90_000 });
	await expect(result).toContainText('tensor growth 0');
	await expect(page.getByTestId('selftest-progress')).toContainText('Step 6 / 6');
	// The chart is drawn from the streamed steps.
	await expect(page.locator('.chart svg')).toBeVisible();
});

test('every page of the nav is built (no placeholders), and the theme toggle switches to dark', async ({ page }) => {
	for (const [path, heading] of [
		['/train', 'Train a DPH model'],
		['/score', 'Score candidates'],
		['/sweeps', 'Ablation sweeps'],
	]) {
		await page.goto(path);
		await expect(page.getByRole('heading', { level: 1 })).toContainText(heading);
		await expect(page.getByText('Not built yet')).toHaveCount(0);
	}
	await page.goto('/');
	// Wait for the app to hydrate (the layout starts the worker on mount) before clicking.
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	const toggle = page.getByRole('button', { name: /Theme/ });
	await toggle.click(); // system → light
	await toggle.click(); // light → dark
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
	const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	expect(bg).toBe('rgb(21, 23, 27)');
	await page.reload();
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('a notebook opens with its prose and math rendered', async ({ page }) => {
	await page.goto('/');
	await page.getByRole('link', { name: /Welcome to DPH Workbench/ }).click();
	await expect(page).toHaveURL(/\/notebooks\/welcome$/);
	const view = page.getByTestId('notebook-view');
	await expect(view.locator('.katex').first()).toBeVisible();
	await expect(view).toContainText('What a Direct Preference Head is');
});

test('the Node server answers health checks and unknown paths with 404', async ({ request }) => {
	const health = await request.get('/api/health');
	expect(health.ok()).toBe(true);
	expect((await health.json()).server).toBe('node');
	expect((await request.get('/no-such-page')).status()).toBe(404);
});

test('a lost GPU device is reported and the worker falls back to WebAssembly', async ({ page }) => {
	await page.goto('/system');
	await expect(page.getByTestId('backend-name')).toHaveText('webgpu', { timeout: 60_000 });
	await page.getByRole('button', { name: 'Simulate GPU device loss' }).click();
	await expect(page.getByRole('alert')).toContainText('The GPU device was lost');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm');
	await expect(page.getByTestId('backend-badge')).toHaveText(/WebAssembly/);
	// Work continues on the fallback backend.
	await page.getByLabel('Steps').fill('4');
	await page.getByTestId('run-selftest').click();
	await expect(page.getByTestId('selftest-result')).toContainText('Done on WebAssembly', { timeout: 60_000 });
});
