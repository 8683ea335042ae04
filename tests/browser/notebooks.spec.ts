import { expect, type Locator, type Page, test } from '@playwright/test';
import { cellNamed, idOf, outputOf, runButtonOf } from './cells';

const fixture = 'tests/fixtures/notebooks/cells-under-test.html';
const byId = (page: Page, id: string) => page.locator(`[data-testid="cell"][data-cell-id="${id}"]`);

async function importFixture(page: Page) {
	await page.goto('/notebooks/welcome');
	await page.getByRole('button', { name: 'Import' }).waitFor();
	const chooser = page.waitForEvent('filechooser');
	await page.getByRole('button', { name: 'Import' }).click();
	await (await chooser).setFiles(fixture);
	await expect(page).toHaveURL(/\/notebooks\/open\?slug=cells-under-test/);
}

async function editCell(page: Page, cell: Locator, code: string) {
	await cell.locator('.cm-content').click();
	await page.keyboard.press('ControlOrMeta+A');
	await page.keyboard.type(code);
	await page.keyboard.press('Shift+Enter');
}

test('moving a slider re-runs the cell that uses it, and the URL keeps the value', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	const out = outputOf(page, 'margin');
	await expect(out).toContainText('optimal reward margin is 2.197');
	await cellNamed(page, 'eps').locator('input[type=range]').fill('0.25');
	await expect(out).toContainText('optimal reward margin is 1.099');
	await expect(page).toHaveURL(/#eps=0\.25$/);
	// A shared link reproduces the view.
	await page.goto('about:blank');
	await page.goto('/notebooks/welcome#eps=0.4');
	await expect(outputOf(page, 'margin')).toContainText('ε = 0.40');
});

test('an edited cell re-runs its dependents, survives a reload, reverts to the file, and saves to the server', async ({
	page,
	request,
}) => {
	const original = await (await request.get('/api/notebooks/welcome')).text();
	try {
		await page.goto('/notebooks/welcome');
		await expect(outputOf(page, 'margin')).toContainText('optimal reward margin is 2.197');
		// The edit replaces the code that names the cell: follow it by the id the notebook gave it.
		const margin = byId(page, await idOf(page, 'margin'));
		const out = margin.getByTestId('cell-output');
		await editCell(page, margin, 'display(html`<p>edited margin ${(2 * Math.log((1 - eps) / eps)).toFixed(3)}</p>`);');
		await expect(out).toHaveText('edited margin 4.394');
		await expect(page.getByTestId('autosave-status')).toContainText('Edits kept in this browser');
		await page.reload();
		await expect(page.getByTestId('restored-banner')).toContainText('Restored your edits');
		await expect(out).toHaveText('edited margin 4.394');

		await page.getByRole('button', { name: 'Revert to file' }).click();
		await expect(out).toContainText('optimal reward margin is 2.197');
		await expect(page.getByTestId('restored-banner')).toHaveCount(0);

		await editCell(page, margin, 'display(html`<p>saved margin ${(3 * Math.log((1 - eps) / eps)).toFixed(3)}</p>`);');
		await expect(out).toHaveText('saved margin 6.592');
		await page.getByRole('button', { name: 'Save', exact: true }).click();
		await expect(page.getByRole('status').filter({ hasText: 'Saved to notebooks/welcome.html' })).toBeVisible();
		const onDisk = await (await request.get('/api/notebooks/welcome')).text();
		expect(onDisk).toContain('saved margin');
		expect(onDisk).toMatch(/^<!doctype html>\n<notebook theme="air">/);
	} finally {
		expect(
			(await request.put('/api/notebooks/welcome', { data: original, headers: { 'Content-Type': 'text/html' } })).ok(),
		).toBe(true);
	}
});

test('a throwing cell shows its error, dependents say upstream error, the rest still render', async ({ page }) => {
	await importFixture(page);
	await expect(outputOf(page, 'doubledText')).toHaveText('doubled is 4');
	await expect(outputOf(page, 'boom')).toContainText('kaboom');
	await expect(cellNamed(page, 'boom')).toHaveAttribute('data-status', 'error');
	const boomId = await idOf(page, 'boom');
	await expect(outputOf(page, 'boomPlusOne')).toHaveText(`Upstream error in cell ${boomId}: kaboom`);
	await expect(outputOf(page, 'fineText')).toHaveText('still fine');
	// Manual cells wait for Run, then react only when asked.
	await expect(cellNamed(page, 'heavy')).toHaveAttribute('data-status', 'waiting');
	await expect(outputOf(page, 'heavyText')).toHaveText('');
	await runButtonOf(page, 'heavy').click();
	await expect(outputOf(page, 'heavyText')).toHaveText('heavy is 200');
	await cellNamed(page, 'n').locator('input[type=range]').fill('3');
	await expect(outputOf(page, 'doubledText')).toHaveText('doubled is 6');
	await expect(cellNamed(page, 'heavy')).toHaveAttribute('data-status', 'stale');
	await expect(outputOf(page, 'heavyText')).toHaveText('heavy is 200');
	await runButtonOf(page, 'heavy').click();
	await expect(outputOf(page, 'heavyText')).toHaveText('heavy is 300');
});

test('cells can be added, moved, hidden and deleted; edits to an imported notebook persist', async ({ page }) => {
	await importFixture(page);
	await expect(outputOf(page, 'doubledText')).toHaveText('doubled is 4');
	await editCell(page, cellNamed(page, 'doubled'), 'const doubled = n * 10;');
	await expect(outputOf(page, 'doubledText')).toHaveText('doubled is 20');
	const textId = await idOf(page, 'doubledText');
	await cellNamed(page, 'doubledText')
		.getByRole('button', { name: /^Add JavaScript cell below/ })
		.click();
	// A new cell has no name yet: it is the one after doubledText, with the id the notebook gave it.
	const added = page.locator(`[data-cell-id="${textId}"] + [data-testid="cell"]`);
	await expect(added).toBeVisible();
	const addedId = (await added.getAttribute('data-cell-id')) ?? '';
	const addedCell = byId(page, addedId);
	await editCell(page, addedCell, '`n squared is ${n * n}`');
	await expect(addedCell.getByTestId('cell-output')).toContainText('n squared is 4');
	await addedCell.getByRole('button', { name: /^Move cell .* up$/ }).click();
	const ids = await page
		.locator('[data-testid=cell]')
		.evaluateAll((els) => els.map((e) => e.getAttribute('data-cell-id')));
	expect(ids.indexOf(addedId)).toBe(ids.indexOf(textId) - 1);
	await addedCell.getByRole('button', { name: /^Hide code of cell/ }).click();
	await expect(addedCell.locator('.cm-content')).toHaveCount(0);
	await cellNamed(page, 'fineText')
		.getByRole('button', { name: /^Delete cell/ })
		.click();
	await expect(cellNamed(page, 'fineText')).toHaveCount(0);
	await page.waitForTimeout(600); // autosave debounce
	await page.reload();
	await expect(outputOf(page, 'doubledText')).toHaveText('doubled is 20');
	await expect(byId(page, addedId).getByTestId('cell-output')).toContainText('n squared is 4');
	await expect(cellNamed(page, 'fineText')).toHaveCount(0);
});

test('presentation mode shows one section per screen and moves with the arrow keys', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	await expect(outputOf(page, 'margin')).toContainText('optimal reward margin');
	await page.getByRole('button', { name: 'Present' }).click();
	const pos = page.getByTestId('present-position');
	await expect(pos).toHaveText(/^1 \/ \d+$/);
	await expect(page.locator('.cm-content')).toHaveCount(0);
	// The title cell (the first) shows in the first section only.
	const title = page.getByTestId('cell').first();
	await expect(title).toBeVisible();
	await page.keyboard.press('ArrowRight');
	await expect(pos).toHaveText(/^2 \/ /);
	await expect(title).toBeHidden();
	await page.keyboard.press('ArrowLeft');
	await expect(pos).toHaveText(/^1 \/ /);
	await page.keyboard.press('Escape');
	await expect(pos).toHaveCount(0);
	await expect(page.getByRole('button', { name: 'Present' })).toBeVisible();
});

test('importing a file that is not a notebook says what is wrong and keeps the page', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	const chooser = page.waitForEvent('filechooser');
	await page.getByRole('button', { name: 'Import' }).click();
	await (await chooser).setFiles({
		name: 'page.html',
		mimeType: 'text/html',
		buffer: Buffer.from('<html><body>hi</body></html>'),
	});
	await expect(page.getByRole('alert')).toContainText(
		'Could not import page.html: page.html is not an Observable notebook',
	);
	await expect(page).toHaveURL(/\/notebooks\/welcome/);
});

test('a manual cell runs a worker job with live progress, and Stop ends it', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	await expect(cellNamed(page, 'run')).toHaveAttribute('data-status', 'waiting');
	await runButtonOf(page, 'run').click();
	const jobEl = cellNamed(page, 'run').locator('.dph-job');
	await expect(jobEl.locator('.dph-job-status')).toContainText(/\d+ \/ 40 · .* left/, { timeout: 60_000 });
	// The dependent chart redraws as steps stream in.
	await expect(outputOf(page, 'lossChart').locator('svg')).toBeVisible();
	await jobEl.getByRole('button', { name: 'Stop' }).click();
	await expect(jobEl.locator('.dph-job-status')).toContainText(/Stopped after \d+ \/ 40/, { timeout: 60_000 });
});

test('a figure exports as SVG and PNG from the cell toolbar', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	const figure = cellNamed(page, 'xs');
	await expect(figure.locator('svg').first()).toBeVisible();
	const svgDl = page.waitForEvent('download');
	await figure.getByRole('button', { name: /as SVG$/ }).click({ force: true });
	const svg = await svgDl;
	expect(svg.suggestedFilename()).toBe(`welcome-cell-${await figure.getAttribute('data-cell-id')}.svg`);
	const text = await (await svg.createReadStream()).toArray();
	expect(Buffer.concat(text).toString()).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
	const pngDl = page.waitForEvent('download');
	await figure.getByRole('button', { name: /as PNG$/ }).click({ force: true });
	const png = Buffer.concat(await (await (await pngDl).createReadStream()).toArray());
	expect(png.subarray(1, 4).toString()).toBe('PNG');
});

test('the Welcome tour: the typo cell fails alone until fixed', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	await expect(outputOf(page, 'bits')).toContainText('Math.lgo is not a function');
	await expect(outputOf(page, 'bitSentence')).toContainText(`Upstream error in cell ${await idOf(page, 'bits')}`);
	await editCell(page, cellNamed(page, 'bits'), 'const bits = Math.log(2) / Math.LN2;');
	await expect(outputOf(page, 'bitSentence')).toHaveText('One bit is 1 bit.');
});

test('cells import the workbench library from $lib/dph', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	await expect(outputOf(page, 'detectEnvironment')).toHaveText(
		'This cell runs in the browser; heavy work tries webgpu → wasm → cpu.',
	);
});
