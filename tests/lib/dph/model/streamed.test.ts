import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halvesNonFinite, transposeHalves } from '../../../../src/lib/dph/checkpoint/dtype';
import { type LoadedCheckpoint, loadCheckpointTensors } from '../../../../src/lib/dph/checkpoint/load';
import { loadStreamedCheckpoint, type StreamedCheckpoint } from '../../../../src/lib/dph/checkpoint/load-streamed';
import { writeSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { CharTokenizer } from '../../../../src/lib/dph/data';
import type { MultipleChoiceItem } from '../../../../src/lib/dph/data/types';
import { type LSWTConfig, preset, toConfigJson } from '../../../../src/lib/dph/model/config';
import { initParams } from '../../../../src/lib/dph/model/lswt';
import { storeSource, type WeightSource } from '../../../../src/lib/dph/model/streamed';
import { COLUMN_BLOCK_FLOATS } from '../../../../src/lib/dph/model/streamed-block';
import { type ItemScore, scoreItems } from '../../../../src/lib/dph/score';
import { streamedPass } from '../../../../src/lib/dph/score-streamed';
import { dirFolder } from '../../../../src/node/checkpoint-folder';

// vocab 9000 > the 8192-row output chunk, so the chunked log-sum-exp really combines two chunks.
const tok = new CharTokenizer();
const config: LSWTConfig = { ...preset('nano', 9000, 'swiglu_bert'), reward_dropout: 0 };
let dir: string;

function writeCheckpoint(poison?: string): string {
	const d = mkdtempSync(join(tmpdir(), 'dph-streamed-'));
	const params = initParams(tf, config, 5, 0.1);
	const tensors = Object.entries(params).map(([name, v]) => {
		const data = v.dataSync().slice() as Float32Array<ArrayBuffer>;
		if (name === poison) data[3] = Number.NaN;
		return { name, shape: v.shape, data, dtype: 'F16' as const };
	});
	for (const v of Object.values(params)) v.dispose();
	writeFileSync(join(d, 'config.json'), JSON.stringify(toConfigJson(config)));
	writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(tok.toJSON()));
	writeFileSync(join(d, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
	return d;
}

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
	dir = writeCheckpoint();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const items: MultipleChoiceItem[] = [
	{ messages: [{ role: 'user', content: 'Say b, please' }], candidates: ['b', 'c is it', 'a'], label: 0 },
	{
		messages: [
			{ role: 'system', content: 'Be brief.' },
			{ role: 'user', content: 'What is 12 + 30?' },
		],
		candidates: ['42', 'forty-two, the sum', ''],
	},
	{ messages: [{ role: 'user', content: 'x' }], candidates: ['one candidate only'] },
];

function worstDiff(a: ItemScore[], b: ItemScore[]): number {
	let worst = 0;
	a.forEach((s, i) => {
		s.logprobs.forEach((x, j) => {
			const y = b[i].logprobs[j];
			worst = Math.max(worst, Number.isNaN(x) && Number.isNaN(y) ? 0 : Math.abs(x - y));
		});
		s.rewards?.forEach((x, j) => {
			worst = Math.max(worst, Math.abs(x - (b[i].rewards as number[])[j]));
		});
	});
	return worst;
}

for (const backend of ['cpu', 'wasm'] as const) {
	describe(`layer-streamed scoring on ${backend}`, () => {
		let resident: LoadedCheckpoint;
		let streamed: StreamedCheckpoint;
		let reference: ItemScore[];
		beforeAll(async () => {
			await tf.setBackend(backend);
			resident = await loadCheckpointTensors(tf, await dirFolder(dir));
			streamed = await loadStreamedCheckpoint(await dirFolder(dir));
			reference = await scoreItems(tf, resident, items, { tokens: true });
		});
		afterAll(async () => {
			resident?.dispose();
			streamed?.dispose();
			await tf.setBackend('cpu');
		});

		for (const sharePrefix of [true, false]) {
			it(`equals the resident forward${sharePrefix ? ', each prompt run once for its candidates' : ''}, without leaking tensors`, async () => {
				const before = tf.memory().numTensors;
				const blocks: number[] = [];
				const got = await scoreItems(tf, streamed, items, {
					tokens: true,
					sharePrefix,
					onBlock: (d) => blocks.push(d),
				});
				expect(tf.memory().numTensors).toBe(before);
				expect(worstDiff(got, reference)).toBeLessThanOrEqual(1e-5);
				// Per-token log-probs too, token for token (the heatmap reads them).
				got.forEach((s, i) => {
					s.tokens?.forEach((ts, j) => {
						expect(ts.map((t) => t.id)).toEqual(reference[i].tokens?.[j].map((t) => t.id));
						ts.forEach((t, k) => {
							expect(Math.abs(t.logprob - (reference[i].tokens?.[j][k].logprob ?? 0))).toBeLessThanOrEqual(1e-5);
						});
					});
				});
				expect(blocks.slice(0, config.n_layers)).toEqual([1, 2]);
				// Resident weights through the same streamed code path agree as well.
				const viaPath = await scoreItems(tf, resident, items, { streamed: true, sharePrefix });
				expect(worstDiff(viaPath, reference)).toBeLessThanOrEqual(1e-5);
				expect(tf.memory().numTensors).toBe(before);
			});
		}

		/**
		 * storeSource, recording how many slices of the blocks' linear weights are live at once, and which output
		 * columns of each weight were made (and how often).
		 */
		function countingSource(fail?: string): {
			source: WeightSource;
			maxLive: number;
			made: Map<string, number[]>;
		} {
			const base = storeSource(streamed.store);
			const made = new Map<string, number[]>();
			const state = { maxLive: 0, made, source: base };
			let live = 0;
			state.source = {
				...base,
				columns(t, name, o0, o1) {
					if (name === fail) throw new Error(`test: ${fail} is unreadable`);
					const cols = made.get(name) ?? new Array(streamed.store.shape(name)[0]).fill(0);
					for (let o = o0; o < o1; o++) cols[o]++;
					made.set(name, cols);
					const w = base.columns(t, name, o0, o1);
					state.maxLive = Math.max(state.maxLive, ++live);
					const dispose = w.dispose.bind(w);
					w.dispose = () => {
						live--;
						dispose();
					};
					return w;
				},
			};
			return state;
		}
		const pass = items.flatMap((it) => it.candidates.map((c) => ({ messages: it.messages, candidates: [c] })));
		const model = () => ({
			config: streamed.config as LSWTConfig,
			tokenizer: streamed.tokenizer,
			source: countingSource().source,
		});

		it('holds one slice of one linear weight at a time, and makes each column once per pass even with prompts shared', async () => {
			const counted = countingSource();
			const before = tf.memory().numTensors;
			const r = await streamedPass(tf, { ...model(), source: counted.source }, pass, 2 ** 24, 'reward');
			expect(tf.memory().numTensors).toBe(before);
			expect(r.lp.length).toBeGreaterThan(0);
			expect(counted.maxLive).toBe(1);
			const blockLinears = [...counted.made.keys()].filter((n) => n.startsWith('model.blocks.'));
			expect(blockLinears).toHaveLength(6 * config.n_layers);
			for (const n of blockLinears) expect(new Set(counted.made.get(n))).toEqual(new Set([1]));
		});

		it('multiplies a weight over COLUMN_BLOCK_FLOATS in slices, with the same result as whole', async () => {
			const whole = await streamedPass(tf, model(), pass, 2 ** 24, 'reward');
			const counted = countingSource();
			const slices: number[] = [];
			const source: WeightSource = {
				...counted.source,
				columns(t, name, o0, o1) {
					if (name.endsWith('fc1.weight')) slices.push(o1 - o0);
					return counted.source.columns(t, name, o0, o1);
				},
			};
			// fc1 in 3 slices (86, 86 and 84 columns), fc2 in 2, the attention weights whole.
			const columnBlock = (2 * config.d_ffn * config.d_model) / 3;
			expect(columnBlock).toBeLessThan(COLUMN_BLOCK_FLOATS);
			const sliced = await streamedPass(tf, { ...model(), source }, pass, 2 ** 24, 'reward', { columnBlock });
			expect(slices).toEqual(Array.from({ length: config.n_layers }, () => [86, 86, 84]).flat());
			expect(sliced.lp.length).toBe(whole.lp.length);
			for (let i = 0; i < sliced.lp.length; i++) expect(Math.abs(sliced.lp[i] - whole.lp[i])).toBeLessThanOrEqual(1e-5);
			expect(sliced.rv?.length).toBe(whole.rv?.length);
			sliced.rv?.forEach((x, i) => {
				expect(Math.abs(x - (whole.rv as Float32Array)[i])).toBeLessThanOrEqual(1e-5);
			});
		});

		it('frees everything when a weight cannot be made part-way through a block, or Stop is pressed', async () => {
			const before = tf.memory().numTensors;
			const broken = countingSource('model.blocks.1.ffn.fc2.weight');
			await expect(streamedPass(tf, { ...model(), source: broken.source }, pass, 2 ** 24, 'reward')).rejects.toThrow(
				/fc2\.weight is unreadable/,
			);
			expect(tf.memory().numTensors).toBe(before);
			const stop = new AbortController();
			const stopped = streamedPass(tf, model(), pass, 2 ** 24, 'reward', {
				signal: stop.signal,
				onBlock: () => stop.abort(),
			});
			await expect(stopped).rejects.toThrow(/stopped/);
			expect(tf.memory().numTensors).toBe(before);
		});

		it('is not vacuous: the scores differ between candidates and a different model disagrees', async () => {
			const r = reference[0].rewards as number[];
			expect(Math.max(...r) - Math.min(...r)).toBeGreaterThan(1e-3);
			const other = items.map((it) => ({ ...it, candidates: it.candidates.map((c) => `${c}!`) }));
			const got = await scoreItems(tf, streamed, other, {});
			expect(worstDiff(got.slice(0, 1), reference.slice(0, 1))).toBeGreaterThan(1e-3);
		});
	});
}

describe('the streamed loader', () => {
	it('keeps F16 weights in 16 bits (the store is the file size, not twice it)', async () => {
		const s = await loadStreamedCheckpoint(await dirFolder(dir));
		const params = Object.values(initParams(tf, config, 1)).reduce((a, v) => {
			v.dispose();
			return a + v.size;
		}, 0);
		expect(s.store.bytes).toBe(2 * params);
		expect(s.store.transposed('model.blocks.0.ffn.fc1.weight')).toBe(true);
		expect(s.store.transposed('model.input_embedding.embedding.weight')).toBe(false);
		s.dispose();
	});

	it('refuses a NaN weight, naming the tensor', async () => {
		const bad = writeCheckpoint('model.blocks.1.att.proj_v.weight');
		try {
			await expect(loadStreamedCheckpoint(await dirFolder(bad))).rejects.toThrow(
				/model\.blocks\.1\.att\.proj_v\.weight has 1 NaN\/Inf value \(first at element 3\)/,
			);
			const s = await loadStreamedCheckpoint(await dirFolder(bad), { allowNonfinite: true });
			expect(s.notes.join(' ')).toMatch(/NaN\/Inf/);
			s.dispose();
		} finally {
			rmSync(bad, { recursive: true, force: true });
		}
	});

	it('transposeHalves equals the element-by-element transpose, including ragged tiles', () => {
		const rows = 70;
		const cols = 131;
		const src = Uint16Array.from({ length: rows * cols }, (_, i) => (i * 7919) & 0xffff);
		const t = transposeHalves(src, rows, cols);
		for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(t[c * rows + r]).toBe(src[r * cols + c]);
		expect(() => transposeHalves(src, rows, cols + 1)).toThrow(/70 × 132/);
	});

	it('halvesNonFinite finds F16 and BF16 NaN/Inf by their exponent bits', () => {
		expect(halvesNonFinite(Uint16Array.from([0x3c00, 0x7c00, 0xfe00]), 'F16')).toEqual({ count: 2, first: 1 });
		expect(halvesNonFinite(Uint16Array.from([0x3f80, 0x7bff]), 'F16')).toBeNull();
		expect(halvesNonFinite(Uint16Array.from([0x3f80, 0x7f80]), 'BF16')).toEqual({ count: 1, first: 1 });
	});
});
