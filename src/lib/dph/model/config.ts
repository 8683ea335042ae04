/**
 * LSWT model configuration with the reference's field names and defaults (Avelina9X/direct-preference-heads,
 * `src/model/configuration.py`, LSWTConfig), so config.json moves between this workbench and PyTorch unchanged.
 */
import { type Checkers, ConfigError, checkers, showValue } from '../validate';

export type PoolerName = 'identity' | 'bert' | 't5' | 'swiglu_bert' | 'swiglu_t5';
export const POOLERS: readonly PoolerName[] = ['identity', 'bert', 't5', 'swiglu_bert', 'swiglu_t5'];

export interface LSWTConfig {
	vocab_size: number;
	d_vocab: number;
	d_model: number;
	/** FFN width after gating (fc1 maps to 2·d_ffn). */
	d_ffn: number;
	n_heads: number;
	n_layers: number;
	n_registers: number;
	gated_ffn: boolean;
	gated_att: boolean;
	qk_norm: boolean;
	enable_bias: boolean;
	rope_base_freq: number;
	rope_reversed: boolean;
	rope_positions: number | null;
	reward_heads: string[] | null;
	reward_pooler: PoolerName;
	reward_dropout: number;
	pad_token_id: number;
	bos_token_id: number;
	eos_token_id: number;
	/** Fields we do not interpret are kept so a config round-trips. */
	[extra: string]: unknown;
}

/** The reference LSWTConfig defaults. */
export const REFERENCE_DEFAULTS: LSWTConfig = {
	vocab_size: 50272,
	d_vocab: 768,
	d_model: 768,
	d_ffn: 3072,
	n_heads: 12,
	n_layers: 12,
	n_registers: 0,
	gated_ffn: true,
	gated_att: false,
	qk_norm: false,
	enable_bias: true,
	rope_base_freq: 500000,
	rope_reversed: true,
	rope_positions: null,
	reward_heads: null,
	reward_pooler: 'identity',
	reward_dropout: 0,
	pad_token_id: 1,
	bos_token_id: 2,
	eos_token_id: 2,
};

export { ConfigError };

/** The DPH fields every family's config carries (LSWT's own config.json, a Llama base's dph_config.json). */
export function checkRewardFields(
	c: { reward_heads: unknown; reward_pooler: unknown; reward_dropout: unknown },
	ck: Pick<Checkers, 'invalid' | 'num' | 'oneOf'>,
): void {
	if (
		c.reward_heads !== null &&
		!(Array.isArray(c.reward_heads) && c.reward_heads.every((h) => typeof h === 'string'))
	) {
		ck.invalid('reward_heads', c.reward_heads, 'a list of names or null');
	}
	ck.oneOf('reward_pooler', c.reward_pooler, POOLERS);
	ck.num('reward_dropout', c.reward_dropout, (n) => n >= 0 && n < 1, 'in [0, 1)');
}

/**
 * Validate and fill a config. Missing fields take the reference defaults and are listed in `defaulted`; wrong types
 * and impossible values throw a ConfigError naming the field. `where` prefixes messages ("config.json").
 */
export function resolveConfig(
	raw: Record<string, unknown>,
	where = 'config',
): { config: LSWTConfig; defaulted: string[] } {
	const defaulted: string[] = [];
	const out: Record<string, unknown> = { ...raw };
	for (const [k, v] of Object.entries(REFERENCE_DEFAULTS)) {
		if (!(k in raw) || raw[k] === undefined) {
			out[k] = v;
			defaulted.push(k);
		}
	}
	const c = out as LSWTConfig;
	// config.json errors keep the wording checkpoint loading has always shown ("n_layers must be …, got …").
	const { bool, invalid, num, oneOf, reject } = checkers(ConfigError, {
		message: (path, value, valid) => `${where}: ${path} must be ${valid}, got ${showValue(value)}`,
		oneOf: (_path, list) => `one of ${list.join(', ')}`,
	});
	const fail = (field: string, why: string) => reject(field, `${where}: ${field} ${why}`, c[field]);
	const int = (f: keyof LSWTConfig & string, min: number) => {
		num(f, c[f], Number.isInteger, 'a whole number');
		num(f, c[f], (n) => n >= min, `≥ ${min}`);
	};
	for (const f of ['vocab_size', 'd_vocab', 'd_model', 'd_ffn', 'n_heads', 'n_layers'] as const) int(f, 1);
	int('n_registers', 0);
	for (const f of ['pad_token_id', 'bos_token_id', 'eos_token_id'] as const) int(f, 0);
	for (const f of ['gated_ffn', 'gated_att', 'qk_norm', 'enable_bias', 'rope_reversed'] as const) bool(f, c[f]);
	num('rope_base_freq', c.rope_base_freq, (n) => n > 0, 'a positive number');
	if (c.d_model % c.n_heads !== 0) {
		fail('d_model', `(${c.d_model}) must be divisible by n_heads (${c.n_heads})`);
	}
	if ((c.d_model / c.n_heads) % 2 !== 0) fail('d_model', `/ n_heads must be even for rotary embeddings`);
	if (c.gated_att) fail('gated_att', 'is true, which the reference does not implement either; set it to false');
	if (!c.gated_ffn) fail('gated_ffn', 'false (GELU FFN) is not supported by the workbench yet; set it to true');
	checkRewardFields(c, { invalid, num, oneOf });
	for (const f of CONTEXT_FIELDS) {
		const v = c[f];
		if (v === undefined || (v === null && f === 'rope_positions')) continue;
		const orNull = f === 'rope_positions' ? ' or null' : '';
		num(f, v, (n) => Number.isInteger(n) && n >= 2, `a whole number of tokens ≥ 2${orNull}`);
	}
	return { config: c, defaulted };
}

/**
 * Config fields that state how many positions the model was built for, first match wins: the Hugging Face names
 * (`max_position_embeddings`, GPT-2's `n_positions`), then the reference's `rope_positions` (the RoPE table size;
 * null there means "computed for any length", so it states nothing).
 */
export const CONTEXT_FIELDS = ['max_position_embeddings', 'n_positions', 'rope_positions'] as const;

/**
 * Longest sequence scored when the config states none. The paper's context is 2048, but a 2048-token row of its
 * medium model (24 heads) needs ≈ 2.3 GB of activations for one layer's attention alone, which with the 2.3 GB
 * of float32 weights does not fit WebAssembly's 4 GiB heap; at 1024 one row needs ≈ 0.75 GB (docs/CHECKPOINTS.md
 * § Scoring limits).
 */
export const DEFAULT_CONTEXT = 1024;

/** The longest sequence (in tokens) the model takes, and where that number came from. */
export function contextLength(c: LSWTConfig): { tokens: number; from: string } {
	for (const f of CONTEXT_FIELDS) {
		const v = c[f];
		if (typeof v === 'number') return { tokens: v, from: `config.json ${f}` };
	}
	return { tokens: DEFAULT_CONTEXT, from: 'the default' };
}

/** Model presets: `nano` (~100k parameters, for tests) and `tiny` (~1.1M, for demos and benchmarks). */
export function preset(name: 'nano' | 'tiny', vocabSize: number, pooler: PoolerName = 'swiglu_bert'): LSWTConfig {
	const base = { ...REFERENCE_DEFAULTS, vocab_size: vocabSize, reward_heads: ['reward'], reward_pooler: pooler };
	if (name === 'nano')
		return { ...base, d_vocab: 32, d_model: 64, d_ffn: 128, n_heads: 4, n_layers: 2, reward_dropout: 0.1 };
	return { ...base, d_vocab: 128, d_model: 128, d_ffn: 512, n_heads: 4, n_layers: 4, reward_dropout: 0.1 };
}

/** config.json as the reference writes it for a DPH model. */
export function toConfigJson(c: LSWTConfig): Record<string, unknown> {
	return { architectures: ['LSWTForDPH'], model_type: 'lsw_transformer', torch_dtype: 'float32', ...c };
}
