import { describe, expect, it } from 'vitest';
import { formatLlamaBench, llamaBench } from '../../../src/cli/bench/llama-harness';

describe('dph bench --part llama (harness on a tiny Llama model)', () => {
	it('loads exactly the F32 weights, scores, trains heads on cached features, and leaks no tensor', async () => {
		const tiny = {
			hidden_size: 32,
			intermediate_size: 48,
			num_hidden_layers: 2,
			num_attention_heads: 4,
			num_key_value_heads: 2,
			vocab_size: 512,
		};
		const b = await llamaBench(true, () => {}, ['cpu'], tiny);
		// 512·32 embedding (tied) + 2 layers of (q 32·32, k and v 16·32 each, o 32·32, MLP 3·48·32, 2 norms) + final norm
		expect(b.parameters).toBe(512 * 32 + 2 * (32 * 32 + 2 * 16 * 32 + 32 * 32 + 3 * 48 * 32 + 2 * 32) + 32);
		const r = b.backends.cpu;
		expect(r, JSON.stringify(b.notes)).not.toBeNull();
		if (!r) return;
		// tfjs holds the loaded weights once, as float32: nothing duplicated, nothing kept from the F16 file.
		expect(r.load.tensorRatio).toBeCloseTo(1, 6);
		expect(r.tensorGrowth).toBe(0);
		expect(r.score.msPerCandidate).toBeGreaterThan(0);
		expect(r.score.tokens).toBeGreaterThan(20);
		expect(r.heads.pairsPerS).toBeGreaterThan(0);
		expect(formatLlamaBench(b)).toMatch(/cpu {5}load .* ms\/candidate .* pairs\/s on cached features/);
	});
});
