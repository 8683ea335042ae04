import { expect, type Page, test } from '@playwright/test';
import { cellNamed, idOf, outputOf, runButtonOf } from './cells';

// A runaway cell must never brick a notebook: drafts never run stay unrun, loops are stopped by the guard,
// an open that never finished is offered safe mode, and local edits can be discarded from the home page.

const MARKER = 'dph-notebook-loading:welcome';
const cellSel = (id: string | number) => `[data-cell-id="${id}"]`;

/** Resolves with how long the page took to answer, or fails after `ms` (a frozen main thread never answers). */
async function answersWithin(page: Page, ms: number): Promise<number> {
	const t0 = Date.now();
	await Promise.race([
		page.evaluate(() => document.title),
		new Promise((_, reject) => setTimeout(() => reject(new Error(`the page did not answer within ${ms} ms`)), ms)),
	]);
	return Date.now() - t0;
}

/** Add a JavaScript cell below `afterId` and type `code` into it without running it; returns the new cell's id. */
async function addDraftCell(page: Page, afterId: string | number, code: string): Promise<string> {
	await page.getByRole('button', { name: `Add JavaScript cell below ${afterId}` }).click();
	const added = page.locator(`${cellSel(afterId)} + [data-testid="cell"]`);
	const id = (await added.getAttribute('data-cell-id')) ?? '';
	await page.locator(`${cellSel(id)} .cm-content`).click();
	await page.keyboard.insertText(code);
	return id;
}

async function waitForAutosave(page: Page) {
	await expect(page.getByTestId('autosave-status')).toContainText('Edits kept in this browser');
	await page.waitForTimeout(700); // the debounce after the last keystroke
}

async function openWelcome(page: Page) {
	await page.goto('/notebooks/welcome');
	await expect(outputOf(page, 'margin')).toContainText('optimal reward margin');
}

test('a looping draft never run stays unrun after reload; run, the loop guard stops it and the page stays usable', async ({
	page,
}) => {
	await openWelcome(page);
	const loop = await addDraftCell(page, await idOf(page, 'margin'), 'while(true){}');
	const grow = await addDraftCell(page, loop, 'const grow = []; for (;;) grow.push(new Array(1e5).fill(1));');
	await waitForAutosave(page);

	await page.reload();
	// The file's cells run in the same pass as the drafts would: once they have rendered, the drafts had their
	// chance to freeze the tab. The page must then answer within 5 s.
	await expect(outputOf(page, 'margin')).toContainText('optimal reward margin');
	expect(await answersWithin(page, 5000)).toBeLessThan(5000);
	await expect(page.locator(cellSel(loop))).toHaveAttribute('data-status', 'unrun');
	await expect(page.locator(cellSel(grow))).toHaveAttribute('data-status', 'unrun');
	await expect(page.locator(`${cellSel(loop)} [data-testid="cell-output"]`)).toHaveText('');
	await expect(page.getByTestId('unrun-banner')).toContainText('2 cells hold edits');

	const t0 = Date.now();
	await page.getByRole('button', { name: `Run cell ${loop}` }).click();
	await expect(page.locator(`${cellSel(loop)} [data-testid="cell-output"]`)).toContainText(
		`Loop ran longer than 3 s — stopped. Cell ${loop} line 1`,
		{ timeout: 10_000 },
	);
	const stoppedAfter = Date.now() - t0;
	expect(stoppedAfter).toBeGreaterThanOrEqual(3000);
	expect(stoppedAfter).toBeLessThan(6000);
	await expect(page.locator(cellSel(loop))).toHaveAttribute('data-status', 'error');
	expect(await answersWithin(page, 1000)).toBeLessThan(1000);
	// Still a working notebook: the slider re-runs its dependent.
	await cellNamed(page, 'eps').locator('input[type=range]').fill('0.25');
	await expect(outputOf(page, 'margin')).toContainText('optimal reward margin is 1.099');
	// A loop the guard stopped does not start again by itself on the next open.
	await page.waitForTimeout(700);
	await page.reload();
	await expect(page.locator(cellSel(loop))).toHaveAttribute('data-status', 'unrun');
});

test('the load marker is set while cells run and cleared once they settle', async ({ page }) => {
	await openWelcome(page);
	const probe = await addDraftCell(
		page,
		await idOf(page, 'margin'),
		`String(localStorage.getItem(${JSON.stringify(MARKER)}) !== null)`,
	);
	await page.getByRole('button', { name: `Run cell ${probe}` }).click();
	await expect(page.locator(`${cellSel(probe)} [data-testid="cell-output"]`)).toContainText('true');
	await waitForAutosave(page);
	await page.reload();
	// The cell ran on load (the user had run it) and saw the marker, set before any cell ran.
	await expect(page.locator(`${cellSel(probe)} [data-testid="cell-output"]`)).toContainText('true');
	await expect.poll(() => page.evaluate((k) => localStorage.getItem(k), MARKER)).toBeNull();
});

test('an open that never finished is offered safe mode: no code runs, cells run by hand, safe mode can be left', async ({
	page,
}) => {
	// What a frozen or crashed tab leaves behind: the marker set before its cells ran, never cleared.
	await page.goto('/');
	await page.evaluate((k) => localStorage.setItem(k, String(Date.now())), MARKER);
	await page.goto('/notebooks/welcome');
	const banner = page.getByTestId('safe-mode-banner');
	await expect(banner).toContainText('Safe mode: no code was run');
	await expect(banner).toContainText('did not finish loading');
	await expect(cellNamed(page, 'margin')).toHaveAttribute('data-status', 'unrun');
	await expect(outputOf(page, 'margin')).toHaveText('');
	await expect(page.locator('[data-testid=cell]').last()).toHaveAttribute('data-status', 'unrun');
	const statuses = await page.locator('[data-testid=cell]').evaluateAll((els) => els.map((e) => e.dataset.status));
	expect(new Set(statuses)).toEqual(new Set(['unrun']));

	await runButtonOf(page, 'eps').click();
	await expect(cellNamed(page, 'eps').locator('input[type=range]')).toBeVisible();
	await runButtonOf(page, 'margin').click();
	await expect(outputOf(page, 'margin')).toContainText('optimal reward margin is 2.197');

	await page.getByRole('button', { name: 'Leave safe mode' }).click();
	await expect(page.getByTestId('safe-mode-banner')).toHaveCount(0);
	await expect(cellNamed(page, 'xs')).not.toHaveAttribute('data-status', 'unrun');
	await expect(outputOf(page, 'margin')).toContainText('optimal reward margin');
	await expect.poll(() => page.evaluate((k) => localStorage.getItem(k), MARKER)).toBeNull();
});

test('?safe opens shipped and local notebooks with no code run, linked from the home page', async ({ page }) => {
	await page.goto('/');
	await page.getByRole('link', { name: 'Open welcome in safe mode' }).click();
	await expect(page).toHaveURL(/\/notebooks\/welcome\?safe$/);
	await expect(page.getByTestId('safe-mode-banner')).toContainText('Safe mode: no code was run');
	await expect(page.getByTestId('safe-mode-banner')).not.toContainText('did not finish loading');
	await expect(cellNamed(page, 'margin')).toHaveAttribute('data-status', 'unrun');
	await expect(outputOf(page, 'margin')).toHaveText('');

	await page.goto('/');
	await page.getByRole('button', { name: 'New notebook' }).click();
	await expect(page).toHaveURL(/\/notebooks\/open\?slug=untitled/);
	await page.goto('/');
	await page.getByRole('link', { name: 'Open untitled in safe mode' }).click();
	await expect(page).toHaveURL(/\/notebooks\/open\?slug=untitled&safe$/);
	await expect(page.getByTestId('safe-mode-banner')).toContainText('Safe mode: no code was run');
	await expect(page.locator('[data-testid=cell]').first()).toHaveAttribute('data-status', 'unrun');
	const statuses = await page.locator('[data-testid=cell]').evaluateAll((els) => els.map((e) => e.dataset.status));
	expect(new Set(statuses)).toEqual(new Set(['unrun']));
});

test('"Discard local edits" on the home page drops a notebook\'s draft and its marker', async ({ page }) => {
	await openWelcome(page);
	const loop = await addDraftCell(page, await idOf(page, 'margin'), 'while(true){}');
	await waitForAutosave(page);
	await page.evaluate((k) => localStorage.setItem(k, '1'), MARKER);
	await page.goto('/');
	page.once('dialog', (d) => d.accept());
	await page.getByRole('button', { name: 'Discard local edits of Welcome to DPH Workbench' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Discarded the local edits' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Discard local edits of Welcome to DPH Workbench' })).toHaveCount(0);
	expect(await page.evaluate((k) => localStorage.getItem(k), MARKER)).toBeNull();

	await openWelcome(page);
	await expect(page.locator(cellSel(loop))).toHaveCount(0);
	await expect(page.getByTestId('restored-banner')).toHaveCount(0);
	await expect(page.getByTestId('safe-mode-banner')).toHaveCount(0);
	await expect(page.getByTestId('autosave-status')).toHaveText('Unmodified');
});
