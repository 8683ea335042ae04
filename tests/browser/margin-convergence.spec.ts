import { expect, test } from '@playwright/test';
import { cellNamed, outputOf } from './cells';

const url = '/notebooks/margin-convergence';

/** log((1−ε)/ε), computed here rather than read from the notebook. */
const logOdds = (eps: number) => Math.log((1 - eps) / eps);

test('the notebook runs without errors and animates the reward trajectories to the end', async ({ page }) => {
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await page.goto(url);
	// The trajectory cell is a generator: it redraws every frame until the last of the 400 steps.
	await expect(outputOf(page, 'trajectoryCaption')).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await expect(page.locator('[data-status=error], [data-status=upstream-error]')).toHaveCount(0);
	const figure = cellNamed(page, 'trajectoryFigure').locator('svg');
	await expect(figure.first()).toBeVisible();
	// Two panels (free rewards, linear model) with the theoretical target drawn and labelled.
	await expect(cellNamed(page, 'trajectoryFigure')).toContainText('Free rewards');
	await expect(cellNamed(page, 'trajectoryFigure')).toContainText('Linear reward model');
	await expect(cellNamed(page, 'trajectoryFigure')).toContainText(
		`Δ* ${logOdds(0.1 + 0.1 - 2 * 0.1 * 0.1).toFixed(3)}`,
	);
	// ConDPH leaves r_w + r_l where it started: the caption shows the same value twice.
	const start = (await page.getByTestId('sum-start').textContent()) ?? '';
	expect(start).toMatch(/^−?\d+\.\d{3}$/);
	await expect(page.getByTestId('sum-now')).toHaveText(start);
	// The other figures (SepDPH vs ConDPH, noise sweep, convergence heatmaps) rendered.
	for (const name of ['lossAccuracyFigure', 'lossComparisonFigure', 'noiseSweepFigure', 'convergenceHeatmaps'])
		await expect(cellNamed(page, name).locator('svg').first()).toBeVisible();
	await expect(outputOf(page, 'noiseSweepFigure')).toContainText('10 of 10 rates done', { timeout: 60_000 });
	expect(errors).toEqual([]);
});

test('moving ε updates the displayed targets to log((1−ε)/ε) and re-runs the simulation', async ({ page }) => {
	await page.goto(url);
	const clean = page.getByTestId('target-clean');
	const noisy = page.getByTestId('target-noisy');
	await expect(clean).toHaveText(logOdds(0.1).toFixed(3));
	await cellNamed(page, 'eps').locator('input[type=range]').fill('0.25');
	await expect(clean).toHaveText(logOdds(0.25).toFixed(3));
	await expect(clean).toHaveText('1.099');
	// Label noise η = 0.1 (the default) composes with ε: ε′ = ε + η − 2εη.
	const epsEff = 0.25 + 0.1 - 2 * 0.25 * 0.1;
	await expect(noisy).toHaveText(logOdds(epsEff).toFixed(3));
	await expect(page).toHaveURL(/eps=0\.25/);
	// The animation restarts with the new target and finishes without errors.
	await expect(cellNamed(page, 'trajectoryFigure')).toContainText(`Δ* ${logOdds(epsEff).toFixed(3)}`);
	await expect(outputOf(page, 'trajectoryCaption')).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await expect(page.locator('[data-status=error], [data-status=upstream-error]')).toHaveCount(0);
});

test('SepDPH shows absolute targets ±log((1−ε′)/ε′), and Replay restarts the animation', async ({ page }) => {
	await page.goto(url);
	await expect(outputOf(page, 'trajectoryCaption')).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await cellNamed(page, 'lossName').getByLabel('SepDPH (eq. 5)').check();
	const m = logOdds(0.1 + 0.1 - 2 * 0.1 * 0.1);
	await expect(outputOf(page, 'targetsReadout')).toContainText(`→ +${m.toFixed(3)}`);
	await expect(outputOf(page, 'targetsReadout')).toContainText(`→ −${m.toFixed(3)}`);
	await expect(cellNamed(page, 'trajectoryFigure')).toContainText(`r_w* +${m.toFixed(3)}`);
	await expect(cellNamed(page, 'trajectoryFigure')).toContainText(`r_l* −${m.toFixed(3)}`);
	await expect(outputOf(page, 'trajectoryCaption')).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await page.getByRole('button', { name: 'Replay' }).click();
	await expect(outputOf(page, 'trajectoryCaption')).not.toContainText('Step 400 of 400.');
	await expect(outputOf(page, 'trajectoryCaption')).toContainText('Step 400 of 400.', { timeout: 60_000 });
	await expect(page.locator('[data-status=error], [data-status=upstream-error]')).toHaveCount(0);
});
