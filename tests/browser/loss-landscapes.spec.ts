import { expect, test } from '@playwright/test';
import { cellNamed, outputOf } from './cells';

test('Loss landscapes: three live panels, ε redraws them, dragging moves the pair, ε = 0 has no optimum', async ({
	page,
}) => {
	await page.goto('/notebooks/loss-landscapes');
	const panels = outputOf(page, 'fig').locator('.lf-panel');
	await expect(panels).toHaveCount(3);
	await expect(panels.nth(0)).toContainText('Separable DPH');
	await expect(panels.nth(0)).toContainText('optimum rw* = 2.197, rl* = −2.197');
	await expect(panels.nth(1)).toContainText('optimal margin rw − rl = 2.197');
	await expect(panels.nth(2)).toContainText('Conservative DPO');
	await expect(page.locator('[data-status="error"], [data-status="upstream-error"]')).toHaveCount(0);
	// The caption's interpolated pair is plain text, not half of a stray $…$ math span.
	await expect(page.getByText(/at the reward pair \(0\.50, 1\.50\), drawn to the axes/)).toBeVisible();
	// The figure's stylesheet (landscape-figure.css, loaded with its module under the page's CSP) applies.
	await expect(page.locator('.lf-row')).toHaveCSS('display', 'flex');
	await expect(panels.nth(0).locator('canvas')).toHaveCSS('cursor', 'crosshair');

	// ε = 0.25: log(3) = 1.0986 for every panel (independent of the library: Math.log here).
	await cellNamed(page, 'eps').locator('input[type=range]').fill('0.25');
	const m = Math.log(0.75 / 0.25).toFixed(3);
	await expect(panels.nth(0)).toContainText(`rw* = ${m}`);
	await expect(panels.nth(1)).toContainText(`optimal margin rw − rl = ${m}`);
	await expect(outputOf(page, 'theorem1Check')).toContainText('every nudge of ±0.1 raises the loss');
	await expect(outputOf(page, 'theorem1Check')).toContainText('yes ✓');

	// Drag the pair: the readout and the all-losses table follow.
	const canvas = panels.nth(1).locator('canvas');
	await canvas.scrollIntoViewIfNeeded();
	const box = await canvas.boundingBox();
	if (!box) throw new Error('no canvas');
	// Plot area starts 40 px from the left and 10 px from the top and spans 214 px for [-6, 6].
	const at = (rw: number, rl: number) => [box.x + 40 + ((rw + 6) / 12) * 214, box.y + 10 + ((6 - rl) / 12) * 214];
	const [x0, y0] = at(0.5, 1.5);
	const [x1, y1] = at(3, -3);
	await page.mouse.move(x0, y0);
	await page.mouse.down();
	await page.mouse.move(x1, y1, { steps: 5 });
	await page.mouse.up();
	// ConDPH at Δ = 6, ε = 0.25: independent float64.
	const ls = (x: number) => -Math.log1p(Math.exp(-x));
	const L = -(0.75 * ls(6) + 0.25 * ls(-6));
	await expect(panels.nth(1)).toContainText(`L = ${L.toFixed(3)}`);
	await expect(outputOf(page, 'allLossesTable')).toContainText('Contrastive DPH');

	await cellNamed(page, 'eps').locator('input[type=range]').fill('0');
	await expect(panels.nth(1)).toContainText('no finite optimum');
	await expect(page.locator('[data-status="error"], [data-status="upstream-error"]')).toHaveCount(0);
	// The redraw stays within budget on this machine's software renderer; the figure reports its own timing.
	await expect(page.locator('.lf-status')).toContainText(/last redraw \d+(\.\d)? ms/);
});
