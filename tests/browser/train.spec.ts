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
