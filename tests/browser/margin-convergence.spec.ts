import { expect, type Page, test } from '@playwright/test';

const url = '/notebooks/margin-convergence';

function cell(page: Page, id: number) {
	return page.locator(`[data-cell-id="${id}"]`);
}

function output(page: Page, id: number) {
	return page.locator(`[data-cell-id="${id}"] [data-testid="cell-output"]`);
}

/** log((1−ε)/ε), computed here rather than read from the notebook. */
const logOdds = (eps: number) => Math.log((1 - eps) / eps);

test('the notebook runs without errors and animates the reward trajectories to the end', async ({ page }) => {
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await page.goto(url);
	// The trajectory cell is a generator: it redraws every frame until the last of the 400 steps.
	await expect(output(page, 21)).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await expect(page.locator('[data-status=error], [data-status=upstream-error]')).toHaveCount(0);
	const figure = cell(page, 20).locator('svg');
	await expect(figure.first()).toBeVisible();
	// Two panels (free rewards, linear model) with the theoretical target drawn and labelled.
	await expect(cell(page, 20)).toContainText('Free rewards');
	await expect(cell(page, 20)).toContainText('Linear reward model');
	await expect(cell(page, 20)).toContainText(`Δ* ${logOdds(0.1 + 0.1 - 2 * 0.1 * 0.1).toFixed(3)}`);
	// ConDPH leaves r_w + r_l where it started: the caption shows the same value twice.
	const start = (await page.getByTestId('sum-start').textContent()) ?? '';
	expect(start).toMatch(/^−?\d+\.\d{3}$/);
	await expect(page.getByTestId('sum-now')).toHaveText(start);
	// The other figures (SepDPH vs ConDPH, noise sweep, convergence heatmaps) rendered.
	for (const id of [22, 25, 28, 31]) await expect(cell(page, id).locator('svg').first()).toBeVisible();
	await expect(output(page, 28)).toContainText('10 of 10 rates done', { timeout: 60_000 });
	expect(errors).toEqual([]);
});

test('moving ε updates the displayed targets to log((1−ε)/ε) and re-runs the simulation', async ({ page }) => {
	await page.goto(url);
	const clean = page.getByTestId('target-clean');
	const noisy = page.getByTestId('target-noisy');
	await expect(clean).toHaveText(logOdds(0.1).toFixed(3));
	await page.locator('[data-cell-id="7"] input[type=range]').fill('0.25');
	await expect(clean).toHaveText(logOdds(0.25).toFixed(3));
	await expect(clean).toHaveText('1.099');
	// Label noise η = 0.1 (the default) composes with ε: ε′ = ε + η − 2εη.
	const epsEff = 0.25 + 0.1 - 2 * 0.25 * 0.1;
	await expect(noisy).toHaveText(logOdds(epsEff).toFixed(3));
	await expect(page).toHaveURL(/eps=0\.25/);
	// The animation restarts with the new target and finishes without errors.
	await expect(cell(page, 20)).toContainText(`Δ* ${logOdds(epsEff).toFixed(3)}`);
	await expect(output(page, 21)).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await expect(page.locator('[data-status=error], [data-status=upstream-error]')).toHaveCount(0);
});

test('SepDPH shows absolute targets ±log((1−ε′)/ε′), and Replay restarts the animation', async ({ page }) => {
	await page.goto(url);
	await expect(output(page, 21)).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await cell(page, 5).getByLabel('SepDPH (eq. 5)').check();
	const m = logOdds(0.1 + 0.1 - 2 * 0.1 * 0.1);
	await expect(output(page, 15)).toContainText(`→ +${m.toFixed(3)}`);
	await expect(output(page, 15)).toContainText(`→ −${m.toFixed(3)}`);
	await expect(cell(page, 20)).toContainText(`r_w* +${m.toFixed(3)}`);
	await expect(cell(page, 20)).toContainText(`r_l* −${m.toFixed(3)}`);
	await expect(output(page, 21)).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await page.getByRole('button', { name: 'Replay' }).click();
	await expect(output(page, 21)).not.toContainText('Step 400 of 400.');
	await expect(output(page, 21)).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await expect(page.locator('[data-status=error], [data-status=upstream-error]')).toHaveCount(0);
});
