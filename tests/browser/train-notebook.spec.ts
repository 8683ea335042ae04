import { expect, test } from '@playwright/test';

test('the Train a DPH model notebook runs a short training job on request and charts it', async ({ page }) => {
	test.setTimeout(300_000);
	await page.goto('/notebooks/train-a-dph-model');
	await expect(page.locator('[data-cell-id="8"]')).toHaveAttribute('data-status', 'waiting');
	await expect(page.locator('[data-status="error"], [data-status="upstream-error"]')).toHaveCount(0);
	await page.locator('[data-cell-id="6"] input[type=range]').fill('3');
	await page.getByRole('button', { name: 'Run cell 8' }).click();
	const status = page.locator('[data-cell-id="8"] .dph-job-status');
	await expect(status).toContainText(/Done after 3 \/ 3/, { timeout: 240_000 });
	await expect(page.locator('[data-cell-id="9"] [data-testid="train-charts"] svg').first()).toBeVisible();
	await expect(page.locator('[data-cell-id="10"]')).toContainText('Validation after 3 steps: DPH accuracy');
});
