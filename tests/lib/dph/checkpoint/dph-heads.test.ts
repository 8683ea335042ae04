import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
	DPH_CONFIG_FILE,
	DPH_HEADS_FILE,
	type DphHeadsConfig,
	DphHeadsError,
	dphHeadsFiles,
	findHeads,
	parseDphConfig,
	readHeadsFor,
	withHeads,
} from '../../../../src/lib/dph/checkpoint/dph-heads';
import type { CheckpointFolder } from '../../../../src/lib/dph/checkpoint/folder';
import { loadTokenizer } from '../../../../src/lib/dph/checkpoint/load-tokenizer';
import type { TensorEntry } from '../../../../src/lib/dph/checkpoint/safetensors';
import { bytesSource } from '../../../../src/lib/dph/checkpoint/source';
import { type HfTokenizerKind, hfTokenizerFiles } from '../../../fixtures/hf-tokenizer';

function memFolder(name: string, files: Record<string, string | Uint8Array>): CheckpointFolder {
	return {
		name,
		async file(n) {
			const f = files[n];
			if (f === undefined) return null;
			return bytesSource(typeof f === 'string' ? new TextEncoder().encode(f) : f, n);
		},
	};
}

const BASE_CONFIG = JSON.stringify({ model_type: 'llama', hidden_size: 8, intermediate_size: 12 });
/** Independent of src/: Node's own sha256 of the exact bytes. */
const BASE_SHA = createHash('sha256').update(BASE_CONFIG).digest('hex');

function tok(kind: HfTokenizerKind = 'smollm2') {
	const f = hfTokenizerFiles(kind);
	return loadTokenizer(f.tokenizer, 'tokenizer.json', { tokenizerConfig: f.tokenizerConfig, chat: 'template' });
}

function config(edit: Partial<DphHeadsConfig> = {}): DphHeadsConfig {
	return {
		format: 'dph-heads/1',
		base: { config_sha256: BASE_SHA, model_type: 'llama', path: '/models/base' },
		d_model: 8,
		d_ffn: 12,
		reward_pooler: 'swiglu_bert',
		reward_heads: ['default', 'safety'],
		reward_dropout: 0.1,
		reward_position: { kind: 'end_of_turn', token: '<|im_end|>' },
		...edit,
	};
}

/** SwiGLU BERT pooler (fc1 [2·d_ffn, d], fc2 [d, d_ffn], with biases) and two heads [1, d], distinct values. */
function tensors(): TensorEntry[] {
	const t = (name: string, shape: number[], k: number): TensorEntry => {
		const n = shape.reduce((a, b) => a * b, 1);
		return { name, shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(k * 100 + i)) };
	};
	return [
		t('pooler_pipeline.0.weight', [24, 8], 1),
		t('pooler_pipeline.0.bias', [24], 2),
		t('pooler_pipeline.2.weight', [8, 12], 3),
		t('pooler_pipeline.2.bias', [8], 4),
		t('reward_heads.default.weight', [1, 8], 5),
		t('reward_heads.safety.weight', [1, 8], 6),
	];
}

const base = (extra: Record<string, string | Uint8Array> = {}) =>
	memFolder('base', { 'config.json': BASE_CONFIG, ...extra });
const model = { d_model: 8, d_ffn: 12 };

describe('dph_heads.safetensors + dph_config.json beside a base model', () => {
	it('round-trips: the tensors and reward fields come back exactly', async () => {
		const files = dphHeadsFiles(config(), tensors());
		const heads = memFolder('heads', files);
		const got = await readHeadsFor(base(), model, tok(), heads);
		expect(got).not.toBeNull();
		expect(got!.folder).toBe('heads');
		expect(got!.config).toEqual(config());
		const byName = new Map(got!.tensors.map((t) => [t.name, t]));
		for (const t of tensors()) {
			expect(byName.get(t.name)!.shape).toEqual(t.shape);
			expect(Array.from(byName.get(t.name)!.data)).toEqual(Array.from(t.data));
		}
		const merged = withHeads({ d_model: 8, reward_heads: null as string[] | null }, got!);
		expect(merged).toEqual({
			d_model: 8,
			reward_heads: ['default', 'safety'],
			reward_pooler: 'swiglu_bert',
			reward_dropout: 0.1,
		});
		// dph_config.json holds what the issue lists, readable by people.
		const json = JSON.parse(files[DPH_CONFIG_FILE]);
		expect(Object.keys(json)).toEqual(Object.keys(config()));
	});

	it('found in the base folder itself, and none at all gives null', async () => {
		const files = dphHeadsFiles(config(), tensors());
		const combined = base(files);
		expect((await findHeads(combined))?.name).toBe('base');
		expect((await readHeadsFor(combined, model, tok()))!.folder).toBe('base');
		expect(await findHeads(base())).toBeNull();
		expect(await readHeadsFor(base(), model, tok())).toBeNull();
	});

	it('refuses heads of another base model, naming both hashes', async () => {
		const other = memFolder('other-base', { 'config.json': BASE_CONFIG.replace('8', '9') });
		const heads = memFolder('heads', dphHeadsFiles(config(), tensors()));
		const err = await readHeadsFor(other, model, tok(), heads).catch((e) => e);
		expect(err).toBeInstanceOf(DphHeadsError);
		const otherSha = createHash('sha256').update(BASE_CONFIG.replace('8', '9')).digest('hex');
		expect(err.message).toContain(BASE_SHA);
		expect(err.message).toContain(otherSha);
		expect(err.message).toMatch(/^heads\/dph_config\.json: .*\(then at \/models\/base\).*other-base\/config\.json/);
	});

	it('refuses a tokenizer that reads the reward at another token', async () => {
		const heads = memFolder('heads', dphHeadsFiles(config(), tensors()));
		await expect(readHeadsFor(base(), model, tok('llama3'), heads)).rejects.toThrow(
			/read the reward at "<\|im_end\|>", but base's tokenizer closes the assistant turn with "<\|eot_id\|>"/,
		);
	});

	it('refuses widths that do not match the base model', async () => {
		const heads = memFolder('heads', dphHeadsFiles(config(), tensors()));
		await expect(readHeadsFor(base(), { d_model: 8, d_ffn: 16 }, tok(), heads)).rejects.toThrow(
			/d_ffn is 12 but the base model's is 16/,
		);
	});

	it('names missing, unexpected and wrong-shape tensors, when writing and when reading', () => {
		const drop = tensors().filter((t) => t.name !== 'reward_heads.safety.weight');
		expect(() => dphHeadsFiles(config(), drop)).toThrow(/missing reward_heads\.safety\.weight/);
		const extra = [...tensors(), { name: 'lm_head.weight', shape: [1], data: new Float32Array(1) }];
		expect(() => dphHeadsFiles(config(), extra)).toThrow(/unexpected lm_head\.weight/);
		const wrong = tensors().map((t) => (t.name === 'pooler_pipeline.2.weight' ? { ...t, shape: [12, 8] } : t));
		expect(() => dphHeadsFiles(config(), wrong)).toThrow(
			/pooler_pipeline\.2\.weight is \[12,8\] but .* imply \[8,12\]/,
		);
		const nan = tensors().map((t, i) =>
			i === 4 ? { ...t, data: t.data.map((x, j) => (j === 3 ? Number.NaN : x)) } : t,
		);
		expect(() => dphHeadsFiles(config(), nan)).toThrow(
			/reward_heads\.default\.weight holds a non-finite value at index 3/,
		);
	});

	it('a heads file that does not match its config is refused on read', async () => {
		const good = dphHeadsFiles(config(), tensors());
		const oneHead = dphHeadsFiles(config({ reward_heads: ['default'] }), tensors().slice(0, 5));
		const mixed = memFolder('heads', {
			[DPH_CONFIG_FILE]: good[DPH_CONFIG_FILE],
			[DPH_HEADS_FILE]: oneHead[DPH_HEADS_FILE],
		});
		await expect(readHeadsFor(base(), model, tok(), mixed)).rejects.toThrow(
			/heads\/dph_heads\.safetensors does not match dph_config\.json .*missing reward_heads\.safety\.weight/,
		);
		const noTensors = memFolder('heads', { [DPH_CONFIG_FILE]: good[DPH_CONFIG_FILE] });
		await expect(readHeadsFor(base(), model, tok(), noTensors)).rejects.toThrow(
			/heads\/dph_heads\.safetensors is missing/,
		);
	});

	it('--heads naming a folder without dph_config.json is refused', async () => {
		await expect(findHeads(base(), memFolder('nothing-here', {}))).rejects.toThrow(
			/nothing-here: --heads names a folder without dph_config\.json/,
		);
	});

	it('dph_config.json fields are checked by name', () => {
		const bad = (edit: Record<string, unknown>) => () => parseDphConfig({ ...config(), ...edit }, 'h/dph_config.json');
		expect(bad({ format: 'x' })).toThrow(/h\/dph_config\.json: "format" must be "dph-heads\/1"/);
		expect(bad({ base: { config_sha256: 'abc' } })).toThrow(/"base\.config_sha256" must be the 64-hex-digit sha256/);
		expect(bad({ reward_pooler: 'mean' })).toThrow(/"reward_pooler" must be one of identity, bert/);
		expect(bad({ reward_heads: [] })).toThrow(/"reward_heads" must be a non-empty list/);
		expect(bad({ reward_heads: ['a', 'a'] })).toThrow(/names a head twice/);
		expect(bad({ reward_dropout: 1 })).toThrow(/"reward_dropout" must be a number in \[0, 1\)/);
		expect(bad({ d_model: 0 })).toThrow(/"d_model" must be a positive integer/);
		expect(bad({ reward_position: { kind: 'last' } })).toThrow(/"reward_position" must be/);
		expect(parseDphConfig(config(), 'x')).toEqual(config());
	});
});
