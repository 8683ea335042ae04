import { expect, test } from '@playwright/test';
import { cellNamed, runButtonOf } from './cells';

test('Pooler × objective ablation: every cell compiles and runs up to the manual sweep cell, which waits for ▶', async ({
	page,
}) => {
	await page.goto('/notebooks/pooler-objective-ablation');
	await expect(page.getByRole('heading', { name: 'Pooler × objective ablation', level: 1 })).toBeVisible();
	await expect(cellNamed(page, 'seeds').locator('input[type=range]').first()).toBeVisible();
	// Nothing trains on its own: the sweep cell is manual.
	await expect(cellNamed(page, 'sweep')).not.toHaveAttribute('data-status', 'error');
	await expect(runButtonOf(page, 'sweep')).toBeVisible();
	await expect(page.locator('[data-status="error"], [data-status="upstream-error"]')).toHaveCount(0);
});
