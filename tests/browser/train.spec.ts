import { expect, test } from '@playwright/test';

test('the Train page trains a real DPH model a few steps on WebGPU in a worker and draws the charts', async ({
	page,
}) => {
	// SwiftShader runs WebGPU kernels on the CPU: a real transformer step takes seconds here.
	test.setTimeout(300_000);
	await page.goto('/train');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });
	await page.getByTestId('train-steps').fill('4');
	await page.getByTestId('train-start').click();
	await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
	await expect(page.getByTestId('train-status')).toContainText(/Step [1-4] \/ 4/, { timeout: 120_000 });
	await expect(page.getByTestId('train-result')).toContainText('Finished after 4 steps on WebGPU · SwiftShader', {
		timeout: 180_000,
	});
	await expect(page.getByTestId('train-validation')).toContainText('DPH accuracy');
	await expect(page.getByTestId('train-charts').locator('svg').first()).toBeVisible();
	await page.getByRole('button', { name: 'Save in this browser' }).click();
	await expect(
		page.getByRole('status').filter({ hasText: 'Saved "dph-echo-sepdph-eps0.1-seed1" in this browser.' }),
	).toBeVisible();
});

test('a run that diverges at its first step offers no checkpoint: nothing untrained is passed off as trained', async ({
	page,
}) => {
	test.setTimeout(300_000);
	await page.goto('/train');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });
	await page.getByTestId('train-steps').fill('3');
	// A cDPO weight of 1e39 is Infinity in float32, so the very first loss overflows; the form's range check
	// (at most 5) would refuse it, the trainer's config accepts any weight ≥ 0.
	await page.getByLabel('cDPO weight α₁').fill('1e39');
	await page.locator('form').evaluate((f: HTMLFormElement) => {
		f.noValidate = true;
	});
	await page.getByTestId('train-start').click();
	await expect(page.getByTestId('train-result')).toContainText('Diverged at step 1 (the loss is not finite)', {
		timeout: 180_000,
	});
	await expect(page.getByTestId('train-weights')).toHaveText(
		'No weights gave a finite loss, so there is no checkpoint to save.',
	);
	await expect(page.getByRole('button', { name: /Save|Download/ })).toHaveCount(0);
});
