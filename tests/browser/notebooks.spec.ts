import { expect, type Page, test } from '@playwright/test';

const fixture = 'tests/fixtures/notebooks/cells-under-test.html';

async function cellOutput(page: Page, id: number) {
	return page.locator(`[data-cell-id="${id}"] [data-testid="cell-output"]`);
}

async function importFixture(page: Page) {
	await page.goto('/notebooks/welcome');
	await page.getByRole('button', { name: 'Import' }).waitFor();
	const chooser = page.waitForEvent('filechooser');
	await page.getByRole('button', { name: 'Import' }).click();
	await (await chooser).setFiles(fixture);
	await expect(page).toHaveURL(/\/notebooks\/open\?slug=cells-under-test/);
}

async function editCell(page: Page, id: number, code: string) {
	const editor = page.locator(`[data-cell-id="${id}"] .cm-content`);
	await editor.click();
	await page.keyboard.press('ControlOrMeta+A');
	await page.keyboard.type(code);
	await page.keyboard.press('Shift+Enter');
}

test('moving a slider re-runs the cell that uses it, and the URL keeps the value', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	const out = await cellOutput(page, 6);
	await expect(out).toContainText('optimal reward margin is 2.197');
	await page.locator('[data-cell-id="5"] input[type=range]').fill('0.25');
	await expect(out).toContainText('optimal reward margin is 1.099');
	await expect(page).toHaveURL(/#eps=0\.25$/);
	// A shared link reproduces the view.
	await page.goto('about:blank');
	await page.goto('/notebooks/welcome#eps=0.4');
	await expect(await cellOutput(page, 6)).toContainText('ε = 0.40');
});

test('an edited cell re-runs its dependents, survives a reload, reverts to the file, and saves to the server', async ({
	page,
	request,
}) => {
	const original = await (await request.get('/api/notebooks/welcome')).text();
	try {
		await page.goto('/notebooks/welcome');
		await expect(await cellOutput(page, 6)).toContainText('optimal reward margin is 2.197');
		await editCell(page, 6, 'display(html`<p>edited margin ${(2 * Math.log((1 - eps) / eps)).toFixed(3)}</p>`);');
		await expect(await cellOutput(page, 6)).toHaveText('edited margin 4.394');
		await expect(page.getByTestId('autosave-status')).toContainText('Edits kept in this browser');
		await page.reload();
		await expect(page.getByTestId('restored-banner')).toContainText('Restored your edits');
		await expect(await cellOutput(page, 6)).toHaveText('edited margin 4.394');

		await page.getByRole('button', { name: 'Revert to file' }).click();
		await expect(await cellOutput(page, 6)).toContainText('optimal reward margin is 2.197');
		await expect(page.getByTestId('restored-banner')).toHaveCount(0);

		await editCell(page, 6, 'display(html`<p>saved margin ${(3 * Math.log((1 - eps) / eps)).toFixed(3)}</p>`);');
		await expect(await cellOutput(page, 6)).toHaveText('saved margin 6.592');
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
	await expect(await cellOutput(page, 4)).toHaveText('doubled is 4');
	await expect(await cellOutput(page, 6)).toContainText('kaboom');
	await expect(page.locator('[data-cell-id="6"]')).toHaveAttribute('data-status', 'error');
	await expect(await cellOutput(page, 7)).toHaveText('Upstream error in cell 6: kaboom');
	await expect(await cellOutput(page, 8)).toHaveText('still fine');
	// Manual cells wait for Run, then react only when asked.
	await expect(page.locator('[data-cell-id="10"]')).toHaveAttribute('data-status', 'waiting');
	await expect(await cellOutput(page, 11)).toHaveText('');
	await page.getByRole('button', { name: 'Run cell 10' }).click();
	await expect(await cellOutput(page, 11)).toHaveText('heavy is 200');
	await page.locator('[data-cell-id="2"] input[type=range]').fill('3');
	await expect(await cellOutput(page, 4)).toHaveText('doubled is 6');
	await expect(page.locator('[data-cell-id="10"]')).toHaveAttribute('data-status', 'stale');
	await expect(await cellOutput(page, 11)).toHaveText('heavy is 200');
	await page.getByRole('button', { name: 'Run cell 10' }).click();
	await expect(await cellOutput(page, 11)).toHaveText('heavy is 300');
});

test('cells can be added, moved, hidden and deleted; edits to an imported notebook persist', async ({ page }) => {
	await importFixture(page);
	await expect(await cellOutput(page, 4)).toHaveText('doubled is 4');
	await editCell(page, 3, 'const doubled = n * 10;');
	await expect(await cellOutput(page, 4)).toHaveText('doubled is 20');
	await page.getByRole('button', { name: 'Add JavaScript cell below 4' }).click();
	const added = page.locator('[data-cell-id="12"]');
	await expect(added).toBeVisible();
	await editCell(page, 12, '`n squared is ${n * n}`');
	await expect(await cellOutput(page, 12)).toContainText('n squared is 4');
	await page.getByRole('button', { name: 'Move cell 12 up' }).click();
	const ids = await page
		.locator('[data-testid=cell]')
		.evaluateAll((els) => els.map((e) => e.getAttribute('data-cell-id')));
	expect(ids.indexOf('12')).toBe(ids.indexOf('4') - 1);
	await page.getByRole('button', { name: 'Hide code of cell 12' }).click();
	await expect(page.locator('[data-cell-id="12"] .cm-content')).toHaveCount(0);
	await page.getByRole('button', { name: 'Delete cell 8' }).click();
	await expect(page.locator('[data-cell-id="8"]')).toHaveCount(0);
	await page.waitForTimeout(600); // autosave debounce
	await page.reload();
	await expect(await cellOutput(page, 4)).toHaveText('doubled is 20');
	await expect(await cellOutput(page, 12)).toContainText('n squared is 4');
	await expect(page.locator('[data-cell-id="8"]')).toHaveCount(0);
});

test('presentation mode shows one section per screen and moves with the arrow keys', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	await expect(await cellOutput(page, 6)).toContainText('optimal reward margin');
	await page.getByRole('button', { name: 'Present' }).click();
	const pos = page.getByTestId('present-position');
	await expect(pos).toHaveText(/^1 \/ \d+$/);
	await expect(page.locator('.cm-content')).toHaveCount(0);
	await expect(page.locator('[data-cell-id="1"]')).toBeVisible();
	await page.keyboard.press('ArrowRight');
	await expect(pos).toHaveText(/^2 \/ /);
	await expect(page.locator('[data-cell-id="1"]')).toBeHidden();
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
	await expect(page.locator('[data-cell-id="14"]')).toHaveAttribute('data-status', 'waiting');
	await page.getByRole('button', { name: 'Run cell 14' }).click();
	const jobEl = page.locator('[data-cell-id="14"] .dph-job');
	await expect(jobEl.locator('.dph-job-status')).toContainText(/\d+ \/ 40 · .* left/, { timeout: 60_000 });
	// The dependent chart redraws as steps stream in.
	await expect(page.locator('[data-cell-id="15"] svg')).toBeVisible();
	await jobEl.getByRole('button', { name: 'Stop' }).click();
	await expect(jobEl.locator('.dph-job-status')).toContainText(/Stopped after \d+ \/ 40/, { timeout: 60_000 });
});

test('a figure exports as SVG and PNG from the cell toolbar', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	await expect(page.locator('[data-cell-id="8"] svg').first()).toBeVisible();
	const svgDl = page.waitForEvent('download');
	await page.getByRole('button', { name: 'Export cell 8 as SVG' }).click({ force: true });
	const svg = await svgDl;
	expect(svg.suggestedFilename()).toBe('welcome-cell-8.svg');
	const text = await (await svg.createReadStream()).toArray();
	expect(Buffer.concat(text).toString()).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
	const pngDl = page.waitForEvent('download');
	await page.getByRole('button', { name: 'Export cell 8 as PNG' }).click({ force: true });
	const png = Buffer.concat(await (await (await pngDl).createReadStream()).toArray());
	expect(png.subarray(1, 4).toString()).toBe('PNG');
});

test('the Welcome tour: the typo cell fails alone until fixed', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	await expect(await cellOutput(page, 11)).toContainText('Math.lgo is not a function');
	await expect(await cellOutput(page, 12)).toContainText('Upstream error in cell 11');
	await editCell(page, 11, 'const bits = Math.log(2) / Math.LN2;');
	await expect(await cellOutput(page, 12)).toHaveText('One bit is 1 bit.');
});

test('cells import the workbench library from $lib/dph', async ({ page }) => {
	await page.goto('/notebooks/welcome');
	await expect(await cellOutput(page, 17)).toHaveText(
		'This cell runs in the browser; heavy work tries webgpu → wasm → cpu.',
	);
});
