import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const shipped = join(process.cwd(), 'static/checkpoints/nano-echo-sepdph');

test('the Score page opens the shipped checkpoint, ranks candidates by reward and batch-evaluates a JSONL', async ({
	page,
}) => {
	test.setTimeout(240_000);
	await page.goto('/score');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	await page.getByTestId('open-shipped').filter({ hasText: 'nano-echo-sepdph' }).click();
	const card = page.getByTestId('model-card');
	await expect(card).toContainText('116,192', { timeout: 60_000 });
	await expect(card).toContainText('swiglu_bert');
	await expect(card).toContainText('F32');
	// The example prompt of the manifest: "Say c" with a–d.
	await expect(page.getByTestId('prompt')).toHaveValue('Say c');
	await page.getByTestId('score').click();
	const results = page.getByTestId('score-results');
	await expect(results.locator('tbody tr')).toHaveCount(4, { timeout: 60_000 });
	// Sorted by reward: the trained head puts the echoed letter first, near the optimum log 9 ≈ 2.2.
	const first = results.locator('tbody tr').first();
	await expect(first.locator('td').nth(1)).toHaveText('c');
	const reward = Number(((await first.locator('td').nth(2).textContent()) ?? '').replace('★', '').trim());
	expect(reward).toBeGreaterThan(1.5);
	await expect(first.getByTestId('token-heatmap')).toBeVisible();

	await page.getByTestId('batch-file').setInputFiles(join(shipped, 'examples.jsonl'));
	const summary = page.getByTestId('batch-summary');
	await expect(summary).toContainText('40 item(s) from examples.jsonl', { timeout: 120_000 });
	await expect(summary).toContainText('DPH accuracy 1.000');
	await expect(page.getByTestId('batch-results').locator('tbody tr')).toHaveCount(40);
	// Every predictor with its Wilson interval: the head is right on all 40 (Wilson [91.2%, 100%] for 40/40).
	const evalTable = page.getByTestId('eval-table');
	await expect(evalTable.locator('tbody tr').first()).toHaveText(
		/all\s*reward\s*100\.0%\s*\[91\.2%, 100\.0%\]\s*40\/40/,
		{
			timeout: 60_000,
		},
	);
	await expect(evalTable.locator('tbody tr')).toHaveCount(3);
	const download = page.waitForEvent('download');
	await page.getByRole('button', { name: 'Export CSV' }).click();
	expect((await download).suggestedFilename()).toBe('examples-nano-echo-sepdph.csv');
});

test('the Score page opens picked files, and says what is wrong with a folder that is not a checkpoint', async ({
	page,
}) => {
	test.setTimeout(120_000);
	await page.goto('/score');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	const files = readdirSync(shipped).map((f) => join(shipped, f));
	await page.getByTestId('open-files').setInputFiles(files.filter((f) => !f.endsWith('model.safetensors')));
	await expect(page.getByRole('alert')).toContainText('model.safetensors is missing', { timeout: 60_000 });
	await page.getByTestId('open-files').setInputFiles(files);
	await expect(page.getByTestId('model-card')).toContainText('116,192', { timeout: 60_000 });
	await expect(page.getByRole('alert')).toHaveCount(0);
});

test('the Score page refuses an over-long candidate in place, warns about <unk>, and batch-scores the other lines', async ({
	page,
}) => {
	test.setTimeout(180_000);
	await page.goto('/score');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	await page.getByTestId('open-shipped').filter({ hasText: 'nano-echo-sepdph' }).click();
	await expect(page.getByTestId('context')).toContainText('1024 tokens (the default)', { timeout: 60_000 });
	const cands = page.getByTestId('candidate');
	await cands.nth(0).fill('x'.repeat(3000));
	await cands.nth(1).fill('é€');
	await page.getByTestId('score').click();
	const results = page.getByTestId('score-results');
	await expect(results.locator('tbody tr')).toHaveCount(4, { timeout: 60_000 });
	await expect(results.getByTestId('candidate-error')).toHaveCount(1);
	await expect(results.getByTestId('candidate-error')).toContainText(
		/Not scored: candidate 1 is 30\d\d tokens with its prompt; the limit is 1024/,
	);
	// The others scored: the echoed "c" still comes first, with a reward.
	const first = results.locator('tbody tr').first();
	await expect(first.locator('td').nth(1)).toHaveText('c');
	expect(Number(((await first.locator('td').nth(2).textContent()) ?? '').replace('★', '').trim())).toBeGreaterThan(1.5);
	await expect(results.getByTestId('unk-warning')).toHaveText(
		"2 characters are not in the tokenizer's vocabulary and became <unk>: 'é', '€'",
	);
	await expect(page.getByRole('alert')).toHaveCount(0);

	const item = (content: string, candidates: string[]) =>
		JSON.stringify({ messages: [{ role: 'user', content }], candidates, label: 0 });
	const jsonl = [item('Say a', ['a', 'b']), item('Say b', ['b', 'y'.repeat(5000)]), item('Say c', ['c', 'd'])].join(
		'\n',
	);
	await page
		.getByTestId('batch-file')
		.setInputFiles({ name: 'mixed.jsonl', mimeType: 'text/plain', buffer: Buffer.from(jsonl) });
	await expect(page.getByTestId('batch-summary')).toContainText('2 item(s) from mixed.jsonl', { timeout: 60_000 });
	await expect(page.getByTestId('batch-summary')).toContainText('on 2 labelled');
	await expect(
		page.getByText(/mixed\.jsonl: line 2: candidate 2 is 50\d\d tokens with its prompt; the limit is 1024/),
	).toBeVisible();
	await expect(page.getByTestId('batch-results').locator('tbody tr')).toHaveCount(2);
});

test('the Score page refuses a checkpoint whose weights hold NaN, naming the tensor', async ({ page }) => {
	test.setTimeout(120_000);
	await page.goto('/score');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	const files = readdirSync(shipped).map((f) => ({
		name: f,
		mimeType: 'application/octet-stream',
		buffer: readFileSync(join(shipped, f)),
	}));
	const st = files.find((f) => f.name === 'model.safetensors');
	if (!st) throw new Error('the shipped checkpoint has no model.safetensors');
	const buf = Buffer.from(st.buffer);
	const n = Number(buf.readBigUInt64LE(0));
	const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets?: number[] }>;
	const [name, info] = Object.entries(header).find(([k, v]) => k !== '__metadata__' && v.data_offsets?.[0] === 0) ?? [];
	if (!name || !info) throw new Error('no tensor at offset 0');
	buf.writeFloatLE(Number.NaN, 8 + n + 4 * 3);
	st.buffer = buf;
	await page.getByTestId('open-files').setInputFiles(files);
	await expect(page.getByRole('alert')).toContainText(
		`model.safetensors: tensor ${name} has 1 NaN/Inf value (first at element 3); the checkpoint is unusable`,
		{ timeout: 60_000 },
	);
	await expect(page.getByTestId('model-card')).toHaveCount(0);
});
