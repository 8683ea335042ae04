import { expect, type Page, test } from '@playwright/test';
import { cellNamed, outputOf } from './cells';

const FIGURES = [
	'noisyLossFigure',
	'marginFigure',
	'calibrationFigure',
	'marginMapFigure',
	'rdpoFigure',
	'descentFigure',
	'survivalFigure',
	'sepdphFigure',
];

/** Optimal ConDPH margin under noise η with smoothing ε: log((1 − ε′)/ε′), ε′ = ε + η − 2εη. */
function noisyMargin(eps: number, eta: number): string {
	const e = eps + eta - 2 * eps * eta;
	return Math.log((1 - e) / e).toFixed(3);
}

async function open(page: Page, hash = '') {
	await page.goto(`/notebooks/label-noise${hash}`);
	for (const name of FIGURES) await expect(cellNamed(page, name).locator('svg').first()).toBeVisible();
}

async function expectNoErrors(page: Page) {
	await expect(page.locator('[data-status="error"], [data-status="upstream-error"]')).toHaveCount(0);
}

test('Label noise and margins: every cell runs, and the η slider moves the optimal margin to log((1 − ε′)/ε′)', async ({
	page,
}) => {
	await open(page);
	await expectNoErrors(page);
	const margin = page.getByTestId('condph-margin');
	await expect(margin).toHaveText(noisyMargin(0.1, 0.2)); // 1.046
	await expect(page.getByTestId('ipo-margin')).toHaveText(((1 - 2 * 0.2) / 2).toFixed(4));

	await cellNamed(page, 'eta').locator('input[type=range]').fill('0.3');
	await expect(margin).toHaveText(noisyMargin(0.1, 0.3)); // 0.663
	await expect(page.getByTestId('ipo-margin')).toHaveText(((1 - 2 * 0.3) / 2).toFixed(4));
	// The closed form and the library's minimiser agree, and the figures redrew without errors.
	await expect(outputOf(page, 'epsEff')).toContainText(`${noisyMargin(0.1, 0.3)} (library minimiser`);
	await expect(outputOf(page, 'noisyLossFigure')).toContainText('noise η = 0.30');
	await expectNoErrors(page);
	await expect(page).toHaveURL(/#eta=0\.3$/);
});

test('the slider copies beside the figures are bound to the ones at the top', async ({ page }) => {
	await open(page);
	// The controls beside the first figure are bound copies of η and ε.
	await cellNamed(page, 'noiseControls').locator('input[type=range]').nth(1).fill('0.25');
	await expect(cellNamed(page, 'eps').locator('input[type=range]')).toHaveValue('0.25');
	await expect(page.getByTestId('condph-margin')).toHaveText(noisyMargin(0.25, 0.2));
	await cellNamed(page, 'eta').locator('input[type=range]').fill('0.05');
	await expect(cellNamed(page, 'rdpoControls').locator('input[type=range]').first()).toHaveValue('0.05');
	await expect(page.getByTestId('condph-margin')).toHaveText(noisyMargin(0.25, 0.05));
});

test('the verification table and sweep show agreement with the library minimiser', async ({ page }) => {
	await open(page, '#eta=0.3&eps=0.2');
	await expect(page.getByTestId('condph-margin')).toHaveText(noisyMargin(0.2, 0.3));
	const table = outputOf(page, 'checkTable');
	await expect(table.locator('tbody tr')).toHaveCount(6);
	await expect(table).not.toContainText('✗');
	// rDPO with ε = 0.2 under η = 0.3 has ε′ = (η − ε)/(1 − 2ε) = 1/6.
	await expect(table).toContainText(Math.log(5).toFixed(6));
	const sweep = outputOf(page, 'sweep');
	await expect(sweep).toContainText('1050 (ε, η) pairs');
	const worst = Number((await sweep.locator('b').textContent()) ?? 'NaN');
	expect(worst).toBeLessThan(1e-9);
});

test('the edge cases (no noise and no smoothing; ε = ½, where rDPO is undefined) render without errors', async ({
	page,
}) => {
	await open(page, '#eta=0&eps=0');
	await expect(page.getByTestId('condph-margin')).toHaveText('∞');
	await expect(outputOf(page, 'noisyLossFigure')).toContainText('no minimum');
	await expectNoErrors(page);
	await cellNamed(page, 'eps').locator('input[type=range]').fill('0.5');
	await cellNamed(page, 'eta').locator('input[type=range]').fill('0.2');
	await expect(page.getByTestId('condph-margin')).toHaveText('0.000');
	await expect(outputOf(page, 'rdpoFigure')).toContainText('rDPO is undefined at ε = ½');
	await expectNoErrors(page);
});
