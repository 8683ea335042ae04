import { expect, test } from '@playwright/test';
import { onBackend } from './backend';

// The one spec that proves WebGPU training works (SwiftShader here, so a real step takes seconds). The rest of
// this file and train-notebook.spec.ts train on wasm, what the page measures fastest on this machine.

test('the Train page trains a real DPH model a few steps on WebGPU in a worker and draws the charts', async ({
	page,
}) => {
	// SwiftShader runs WebGPU kernels on the CPU: a real transformer step takes seconds here.
	test.setTimeout(480_000);
	await page.goto('/train');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });
	await page.getByTestId('train-steps').fill('4');
	await page.getByTestId('train-start').click();
	await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
	await expect(page.getByTestId('train-status')).toContainText(/Step [1-4] \/ 4/, { timeout: 240_000 });
	await expect(page.getByTestId('train-result')).toContainText('Finished after 4 steps on WebGPU · SwiftShader', {
		timeout: 300_000,
	});
	await expect(page.getByTestId('train-validation')).toContainText('DPH accuracy');
	await expect(page.getByTestId('train-charts').locator('svg').first()).toBeVisible();
	await page.getByRole('button', { name: 'Save in this browser' }).click();
	await expect(
		page.getByRole('status').filter({ hasText: 'Saved "dph-echo-sepdph-eps0.1-seed1" in this browser.' }),
	).toBeVisible();
});

test.describe('on wasm, the backend measured fastest here', () => {
	test.use(onBackend('wasm'));

	test('a run that diverges at its first step offers no checkpoint: nothing untrained is passed off as trained', async ({
		page,
	}) => {
		test.setTimeout(480_000);
		await page.goto('/train');
		await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
		await page.getByTestId('train-steps').fill('3');
		// A cDPO weight of 1e39 is Infinity in float32, so the very first loss overflows; the form's range check
		// (at most 5) would refuse it, the trainer's config accepts any weight ≥ 0.
		await page.getByLabel('cDPO weight α₁').fill('1e39');
		await page.locator('form').evaluate((f: HTMLFormElement) => {
			f.noValidate = true;
		});
		await page.getByTestId('train-start').click();
		await expect(page.getByTestId('train-result')).toContainText('Diverged at step 1 (the loss is not finite)', {
			timeout: 300_000,
		});
		await expect(page.getByTestId('train-weights')).toHaveText(
			'No weights gave a finite loss, so there is no checkpoint to save.',
		);
		await expect(page.getByRole('button', { name: /Save|Download/ })).toHaveCount(0);
	});

	test('the Train page trains from the demo checkpoint, its setup lives in the link, and the result is scored on the Score page', async ({
		page,
	}) => {
		test.setTimeout(480_000);
		await page.goto('/train');
		await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
		// A JSONL file's bad lines are reported by number before anything runs.
		const jsonl = '{"prompt":"a","chosen":"b","rejected":"c"}\n{"prompt":"a"}\nnot json\n';
		await page
			.getByTestId('train-jsonl')
			.setInputFiles({ name: 'pairs.jsonl', mimeType: 'text/plain', buffer: Buffer.from(jsonl) });
		await expect(page.getByTestId('train-jsonl-report')).toContainText('pairs.jsonl: 1 preference pairs from 1 lines');
		await expect(page.getByTestId('train-jsonl-error')).toHaveCount(2);
		await expect(page.getByTestId('train-jsonl-error').first()).toContainText('pairs.jsonl: line 2');
		await page.getByTestId('train-task').selectOption('echo');

		await page.getByTestId('train-from').selectOption({ label: 'Demo: nano-echo-sepdph' });
		await page.getByTestId('train-trainable').selectOption('heads');
		await page.getByTestId('train-steps').fill('2');
		await expect(page).toHaveURL(/#.*from=demo%3Anano-echo-sepdph/);
		await expect(page).toHaveURL(/trainable=heads/);
		const link = page.url();
		await page.getByTestId('train-start').click();
		await expect(page.getByTestId('train-result')).toContainText('Finished after 2 steps', { timeout: 300_000 });
		await expect(page.getByTestId('train-from-result')).toContainText(
			/Started from nano-echo-sepdph · trained heads, \d+ tensors frozen/,
		);
		await page.getByRole('button', { name: 'Save in this browser' }).click();
		const name = 'dph-echo-sepdph-eps0.1-seed1-from-nano-echo-sepdph';
		await expect(page.getByRole('status').filter({ hasText: `Saved "${name}" in this browser.` })).toBeVisible();

		// The link reproduces the setup.
		await page.goto(link);
		await expect(page.getByTestId('train-steps')).toHaveValue('2');
		await expect(page.getByTestId('train-trainable')).toHaveValue('heads');
		await expect(page.getByTestId('train-from')).toHaveValue('demo:nano-echo-sepdph');

		await page.goto('/score');
		await page.getByRole('button', { name }).click();
		await expect(page.getByTestId('model-card')).toContainText('116,192', { timeout: 60_000 });
		await page.getByTestId('score').click();
		await expect(page.getByTestId('score-results')).toBeVisible({ timeout: 60_000 });
		await expect(page.getByRole('alert')).toHaveCount(0);
	});
});
