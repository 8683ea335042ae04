import { expect, test } from '@playwright/test';

test('Pooler × objective ablation: every cell compiles and runs up to the manual sweep cell, which waits for ▶', async ({
	page,
}) => {
	await page.goto('/notebooks/pooler-objective-ablation');
	await expect(page.getByRole('heading', { name: 'Pooler × objective ablation', level: 1 })).toBeVisible();
	await expect(page.locator('[data-cell-id="4"] input[type=range]').first()).toBeVisible();
	// Nothing trains on its own: the sweep cell is manual.
	await expect(page.locator('[data-cell-id="8"]')).not.toHaveAttribute('data-status', 'error');
	await expect(page.getByRole('button', { name: 'Run cell 8' })).toBeVisible();
	await expect(page.locator('[data-status="error"], [data-status="upstream-error"]')).toHaveCount(0);
});
