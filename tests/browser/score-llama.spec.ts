import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { dphHeadsFiles } from '../../src/lib/dph/checkpoint/dph-heads';
import { hfTokenizerFolder, hfTokenizerVocab } from '../fixtures/hf-tokenizer';
import { writeLlamaCheckpoint } from '../fixtures/llama-checkpoint';

// A tiny random Llama-architecture checkpoint with SmolLM2's tokenizer and chat template, written here; and a
// copy of it with DPH heads beside the base files (dph_heads.safetensors + dph_config.json).
const base = writeLlamaCheckpoint({
	vocabSize: hfTokenizerVocab('smollm2'),
	tokenizer: (dir) => {
		for (const [n, v] of Object.entries(hfTokenizerFolder('smollm2'))) writeFileSync(join(dir, n), v);
	},
});
const withHeads = mkdtempSync(join(tmpdir(), 'dph-llama-heads-'));
cpSync(base.dir, withHeads, { recursive: true });
const sha = createHash('sha256')
	.update(readFileSync(join(base.dir, 'config.json')))
	.digest('hex');
const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(k * 31 + i * 1.7));
for (const [n, v] of Object.entries(
	dphHeadsFiles(
		{
			format: 'dph-heads/1',
			base: { config_sha256: sha, model_type: 'llama', path: null },
			d_model: 16,
			d_ffn: 24,
			reward_pooler: 'bert',
			reward_heads: ['task'],
			reward_dropout: 0,
			reward_position: { kind: 'end_of_turn', token: '<|im_end|>' },
		},
		[
			{ name: 'pooler_pipeline.0.weight', shape: [16, 16], data: values(256, 1) },
			{ name: 'pooler_pipeline.0.bias', shape: [16], data: values(16, 2) },
			{ name: 'reward_heads.task.weight', shape: [1, 16], data: values(16, 3) },
		],
	),
)) {
	writeFileSync(join(withHeads, n), v);
}
test.afterAll(() => {
	rmSync(base.dir, { recursive: true, force: true });
	rmSync(withHeads, { recursive: true, force: true });
});

const filesOf = (dir: string) => readdirSync(dir).map((f) => join(dir, f));

async function open(page: import('@playwright/test').Page, dir: string) {
	await page.goto('/score');
	await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', /webgpu|wasm|cpu/, {
		timeout: 60_000,
	});
	await page.getByTestId('open-files').setInputFiles(filesOf(dir));
	await expect(page.getByTestId('model-card')).toContainText('16', { timeout: 60_000 });
	await expect(page.getByRole('alert')).toHaveCount(0);
	await page.getByTestId('prompt').fill('what is the answer?');
	const cands = page.getByTestId('candidate');
	await cands.nth(0).fill('hello there');
	await cands.nth(1).fill('the user');
}

test('a Llama-architecture base model without heads scores log-probs, says it has no reward heads, and generates', async ({
	page,
}) => {
	test.setTimeout(180_000);
	await open(page, base.dir);
	await expect(page.getByTestId('model-card')).toContainText('none (log-probs only)');
	await page.getByTestId('score').click();
	const results = page.getByTestId('score-results');
	await expect(results.locator('tbody tr').first()).toBeVisible({ timeout: 60_000 });
	await expect(page.getByText(/Sorted by average log-prob/)).toBeVisible();
	// No head: the reward column says so for every candidate.
	await expect(results.locator('tbody tr').first().locator('td').nth(2)).toHaveText('—');
	const logprob = Number(
		((await results.locator('tbody tr').first().locator('td').nth(3).textContent()) ?? '').replace('★', ''),
	);
	expect(Number.isFinite(logprob) && logprob < 0).toBe(true);

	await page.getByTestId('gen-n').fill('2');
	await page.getByTestId('gen-max-new-tokens').fill('4');
	await page.getByRole('button', { name: 'Generate 2' }).click();
	await expect(page.locator('[data-testid="ranking-row"][data-source="generated"]')).toHaveCount(2, {
		timeout: 60_000,
	});
	await expect(page.getByRole('alert')).toHaveCount(0);
});

test('the same base with dph_heads.safetensors beside it scores DPH rewards', async ({ page }) => {
	test.setTimeout(180_000);
	await open(page, withHeads);
	await expect(page.getByTestId('model-card')).toContainText('task');
	await expect(page.getByTestId('model-card')).toContainText('bert');
	await page.getByTestId('score').click();
	const results = page.getByTestId('score-results');
	await expect(results.locator('tbody tr').first()).toBeVisible({ timeout: 60_000 });
	await expect(page.getByText(/Sorted by DPH reward/)).toBeVisible();
	const reward = Number(
		((await results.locator('tbody tr').first().locator('td').nth(2).textContent()) ?? '').replace('★', ''),
	);
	expect(Number.isFinite(reward)).toBe(true);
	await expect(page.getByRole('alert')).toHaveCount(0);
});
