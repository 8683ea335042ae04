/**
 * Llama-family configuration: Hugging Face config.json of `model_type` "llama" (Llama, TinyLlama, SmolLM) and "qwen2"
 * (Qwen1.5, Qwen2, Qwen2.5), read with transformers' field names and defaults. The resolved config also carries
 * the family-neutral names the rest of the workbench reads (d_model, n_heads, …: see `LlamaConfig`), derived here
 * and left out again by `toLlamaConfigJson`, so config.json round-trips.
 */
import { ConfigError, checkers, showValue } from '../validate';
import { checkRewardFields, type PoolerName } from './config';

export const LLAMA_MODEL_TYPES = ['llama', 'qwen2'] as const;
export type LlamaModelType = (typeof LLAMA_MODEL_TYPES)[number];

/** The `architectures` entries each model_type may name: causal language models, whose head we score with. */
export const LLAMA_ARCHITECTURES: Readonly<Record<LlamaModelType, string>> = {
	llama: 'LlamaForCausalLM',
	qwen2: 'Qwen2ForCausalLM',
};

export interface LlamaConfig {
	model_type: LlamaModelType;
	vocab_size: number;
	hidden_size: number;
	intermediate_size: number;
	num_hidden_layers: number;
	num_attention_heads: number;
	/** Grouped-query attention: this many key/value heads, each shared by num_attention_heads / it query heads. */
	num_key_value_heads: number;
	head_dim: number;
	rms_norm_eps: number;
	rope_theta: number;
	/** q/k/v projections with a bias (always for qwen2; o_proj never has one in either). */
	attention_bias: boolean;
	tie_word_embeddings: boolean;
	max_position_embeddings: number;
	bos_token_id: number;
	eos_token_id: number;
	pad_token_id: number;
	/** Family-neutral copies the pooler, scoring and model card read: hidden_size, intermediate_size, heads, layers. */
	d_model: number;
	d_ffn: number;
	n_heads: number;
	n_layers: number;
	/** DPH head fields: not in a base model's config.json; dph_config.json (heads beside a base model) sets them. */
	reward_heads: string[] | null;
	reward_pooler: PoolerName;
	reward_dropout: number;
	/** Fields we do not interpret are kept so a config round-trips. */
	[extra: string]: unknown;
}

/** The derived fields, never written back to config.json. */
const DERIVED = ['d_model', 'd_ffn', 'n_heads', 'n_layers'] as const;

/** Fields a config.json must state: without them the model's size is unknown, and guessing a default would be wrong. */
const REQUIRED = ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads'];

/** transformers' defaults for the optional fields (LlamaConfig / Qwen2Config). */
function defaults(type: LlamaModelType, raw: Record<string, unknown>): Record<string, unknown> {
	const heads = raw.num_attention_heads as number;
	return {
		num_key_value_heads: heads,
		head_dim: (raw.hidden_size as number) / heads,
		rms_norm_eps: 1e-6,
		rope_theta: 10000,
		rope_scaling: null,
		attention_bias: false,
		mlp_bias: false,
		hidden_act: 'silu',
		tie_word_embeddings: false,
		max_position_embeddings: type === 'qwen2' ? 32768 : 2048,
		bos_token_id: 1,
		eos_token_id: 2,
		reward_heads: null,
		reward_pooler: 'identity',
		reward_dropout: 0,
	};
}

/** An HF config.json's family: its model_type, else the first `architectures` entry we know. Null when neither. */
export function llamaModelType(raw: Record<string, unknown>): LlamaModelType | null {
	const t = raw.model_type;
	if (typeof t === 'string') return (LLAMA_MODEL_TYPES as readonly string[]).includes(t) ? (t as LlamaModelType) : null;
	const arch = Array.isArray(raw.architectures) ? raw.architectures : [];
	for (const [type, name] of Object.entries(LLAMA_ARCHITECTURES))
		if (arch.includes(name)) return type as LlamaModelType;
	return null;
}

/**
 * Validate and fill a Llama/Qwen2 config.json. Missing optional fields take transformers' defaults and are listed
 * in `defaulted`; wrong types, impossible values and features the workbench does not implement throw a ConfigError
 * naming the field.
 */
export function resolveLlamaConfig(
	raw: Record<string, unknown>,
	where = 'config.json',
): { config: LlamaConfig; defaulted: string[] } {
	const type = llamaModelType(raw);
	const { bool, invalid, num, oneOf, reject } = checkers(ConfigError, {
		message: (path, value, valid) => `${where}: ${path} must be ${valid}, got ${showValue(value)}`,
		oneOf: (_path, list) => `one of ${list.join(', ')}`,
	});
	if (!type)
		return invalid('model_type', raw.model_type, `one of ${LLAMA_MODEL_TYPES.join(', ')} for the Llama family`);
	for (const f of REQUIRED) {
		if (raw[f] === undefined) reject(f, `${where}: ${f} is missing; a ${type} config.json states it`, undefined);
		num(f, raw[f], (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1');
	}
	const defaulted: string[] = [];
	const out: Record<string, unknown> = { ...raw, model_type: type };
	for (const [k, v] of Object.entries(defaults(type, raw))) {
		if (raw[k] === undefined || (raw[k] === null && k.endsWith('_token_id'))) {
			out[k] = v;
			if (!k.startsWith('reward_')) defaulted.push(k);
		}
	}
	// Qwen2 always has q/k/v biases; its config.json has no field for them.
	if (type === 'qwen2') out.attention_bias = true;
	const c = out as LlamaConfig;
	const fail = (field: string, why: string) => reject(field, `${where}: ${field} ${why}`, out[field]);
	for (const f of ['num_key_value_heads', 'head_dim', 'max_position_embeddings'] as const) {
		num(f, c[f], (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1');
	}
	for (const f of ['bos_token_id', 'eos_token_id'] as const) {
		// Some configs list several end ids; the first is the one a turn ends with.
		if (Array.isArray(c[f])) c[f] = (c[f] as unknown as number[])[0];
		num(f, c[f], (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
	}
	if (raw.pad_token_id === undefined || raw.pad_token_id === null) c.pad_token_id = c.eos_token_id;
	num('pad_token_id', c.pad_token_id, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
	num('rms_norm_eps', c.rms_norm_eps, (n) => n > 0, 'a positive number');
	num('rope_theta', c.rope_theta, (n) => n > 0, 'a positive number');
	bool('attention_bias', c.attention_bias);
	bool('tie_word_embeddings', c.tie_word_embeddings);
	if (c.num_attention_heads % c.num_key_value_heads !== 0) {
		fail(
			'num_key_value_heads',
			`(${c.num_key_value_heads}) must divide num_attention_heads (${c.num_attention_heads})`,
		);
	}
	if (c.head_dim % 2 !== 0) fail('head_dim', `(${c.head_dim}) must be even for rotary embeddings`);
	if (out.hidden_act !== 'silu')
		fail('hidden_act', `is ${showValue(out.hidden_act)}; only "silu" (SwiGLU) is implemented`);
	if (out.mlp_bias === true) fail('mlp_bias', 'is true; MLP biases are not implemented, only mlp_bias: false');
	if (out.use_sliding_window === true) {
		fail(
			'use_sliding_window',
			'is true; sliding-window attention is not implemented (set it to false to attend to the whole context)',
		);
	}
	const scaling = out.rope_scaling;
	if (scaling !== null) {
		const kind =
			typeof scaling === 'object'
				? ((scaling as Record<string, unknown>).rope_type ?? (scaling as Record<string, unknown>).type)
				: scaling;
		if (kind !== 'default') {
			fail(
				'rope_scaling',
				`type ${showValue(kind)} is not implemented; only standard RoPE (rope_scaling null or "default") is`,
			);
		}
	}
	const arch = out.architectures;
	if (arch !== undefined) {
		const want = LLAMA_ARCHITECTURES[type];
		if (!Array.isArray(arch) || !arch.includes(want)) {
			fail('architectures', `is ${showValue(arch)}; for model_type ${type} the workbench loads ${want} checkpoints`);
		}
	}
	checkRewardFields(c, { invalid, num, oneOf });
	c.d_model = c.hidden_size;
	c.d_ffn = c.intermediate_size;
	c.n_heads = c.num_attention_heads;
	c.n_layers = c.num_hidden_layers;
	return { config: c, defaulted };
}

/** A Llama config from the fields that matter (tests and the bench build random models with it). */
export function llamaConfig(
	fields: Partial<LlamaConfig> &
		Pick<LlamaConfig, 'vocab_size' | 'hidden_size' | 'intermediate_size' | 'num_hidden_layers' | 'num_attention_heads'>,
): LlamaConfig {
	return resolveLlamaConfig({ model_type: 'llama', ...fields }, 'config').config;
}

/** config.json as transformers writes it: the derived fields left out, the DPH fields only when there are heads. */
export function toLlamaConfigJson(c: LlamaConfig): Record<string, unknown> {
	const out: Record<string, unknown> = {
		architectures: [LLAMA_ARCHITECTURES[c.model_type]],
		torch_dtype: 'float32',
		...c,
	};
	for (const k of DERIVED) delete out[k];
	if (!c.reward_heads?.length) for (const k of ['reward_heads', 'reward_pooler', 'reward_dropout']) delete out[k];
	return out;
}
