import { expect, test } from '@playwright/test';
import { onBackend } from './backend';
import { cellNamed, outputOf, runButtonOf } from './cells';

// wasm, what the page measures fastest here: on SwiftShader WebGPU the same run takes minutes (train.spec.ts keeps
// the one WebGPU training test).
test.use(onBackend('wasm'));

test('the Train a DPH model notebook runs a short training job on request and charts it', async ({ page }) => {
	test.setTimeout(480_000);
	await page.goto('/notebooks/train-a-dph-model');
	await expect(cellNamed(page, 'run')).toHaveAttribute('data-status', 'waiting');
	await expect(page.locator('[data-status="error"], [data-status="upstream-error"]')).toHaveCount(0);
	await cellNamed(page, 'steps').locator('input[type=range]').fill('3');
	await runButtonOf(page, 'run').click();
	const status = cellNamed(page, 'run').locator('.dph-job-status');
	await expect(status).toContainText(/Done after 3 \/ 3/, { timeout: 360_000 });
	await expect(outputOf(page, 'TrainCharts').locator('[data-testid="train-charts"] svg').first()).toBeVisible();
	await expect(cellNamed(page, 'validationSummary')).toContainText('Validation after 3 steps: DPH accuracy');
});
