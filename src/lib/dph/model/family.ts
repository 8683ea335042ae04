/**
 * Model families behind one interface: the authors' LSWT (lswt.ts) and the Llama family (llama.ts: model_type
 * llama and qwen2). Scoring, decoding and loading go through `familyOf(config)`; the DPH pooler and heads
 * (reward.ts) are the same for both. docs/MODELS.md lists what each family reads from config.json.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { type LSWTConfig, contextLength as lswtContext, toConfigJson as lswtJson } from './config';
import type { KVCache } from './kv-cache';
import * as llama from './llama';
import { type LlamaConfig, llamaModelType, resolveLlamaConfig, toLlamaConfigJson } from './llama-config';
import type { ForwardOptions, Params } from './lswt';
import * as lswt from './lswt';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

/** Any model's config; `familyOf` tells them apart (a Llama config's model_type is llama or qwen2). */
export type ModelConfig = LSWTConfig | LlamaConfig;
export type FamilyName = 'lswt' | 'llama';

export interface ModelFamily<C extends ModelConfig = ModelConfig> {
	name: FamilyName;
	parameterShapes(c: C): [string, number[]][];
	countParameters(c: C): number;
	initParams(tf: TF, c: C, seed: number, std?: number): Params;
	/** Hidden states after the final norm, [B, S, d_model]. */
	hiddenStates(tf: TF, c: C, p: Params, ids: Tensor, opts?: ForwardOptions): Tensor;
	/** Cached decoding (kv-cache.ts): hidden states of `ids` after `past`, and the cache including them. */
	extendHidden(tf: TF, c: C, p: Params, ids: Tensor, past: KVCache | null): { hidden: Tensor; cache: KVCache };
	/** Next-token logits [..., vocab] of hidden states [..., d_model]. */
	logits(tf: TF, c: C, p: Params, hidden: Tensor): Tensor;
	/**
	 * The LM head as a chain of [out, in] weights applied in order (logits = h · W₁ᵀ · W₂ᵀ …), for decoders that
	 * keep transposed copies (generate/decode.ts DecodeHead).
	 */
	headChain(c: C, p: Params): Tensor[];
	/** Parameter names that are looked up by index rather than multiplied (not worth a transposed copy). */
	gathered: readonly string[];
	contextLength(c: C): { tokens: number; from: string };
	toConfigJson(c: C): Record<string, unknown>;
}

export const LSWT: ModelFamily<LSWTConfig> = {
	name: 'lswt',
	parameterShapes: lswt.parameterShapes,
	countParameters: lswt.countParameters,
	initParams: lswt.initParams,
	hiddenStates: lswt.hiddenStates,
	extendHidden: lswt.extendHidden,
	logits: (tf, _c, p, h) => lswt.logits(tf, p, h),
	headChain: (_c, p) => [p['head_proj.weight'], p['model.input_embedding.embedding.weight']],
	gathered: ['model.input_embedding.embedding.weight'],
	contextLength: lswtContext,
	toConfigJson: lswtJson,
};

export const LLAMA: ModelFamily<LlamaConfig> = {
	name: 'llama',
	parameterShapes: llama.parameterShapes,
	countParameters: llama.countParameters,
	initParams: llama.initParams,
	hiddenStates: llama.hiddenStates,
	extendHidden: llama.extendHidden,
	logits: llama.logits,
	headChain: (c, p) => [llama.lmHeadWeight(c, p)],
	gathered: ['model.embed_tokens.weight'],
	contextLength: (c) => ({ tokens: c.max_position_embeddings, from: 'config.json max_position_embeddings' }),
	toConfigJson: toLlamaConfigJson,
};

export function isLlama(c: ModelConfig): c is LlamaConfig {
	return c.model_type === 'llama' || c.model_type === 'qwen2';
}

/** The family of a resolved config, typed for any config (each family's functions check their own). */
export function familyOf(c: ModelConfig): ModelFamily {
	return (isLlama(c) ? LLAMA : LSWT) as ModelFamily;
}

/** Families by the config.json model_type they read; an LSWT config.json may also omit it. */
export const SUPPORTED_MODEL_TYPES = ['lsw_transformer', 'llama', 'qwen2'] as const;

/**
 * Which family a raw config.json belongs to, from `model_type` (else `architectures`); null for a type the
 * workbench does not implement, which the caller reports with SUPPORTED_MODEL_TYPES.
 */
export function familyOfJson(raw: Record<string, unknown>): FamilyName | null {
	if (llamaModelType(raw)) return 'llama';
	const t = raw.model_type;
	if (t === undefined || t === 'lsw_transformer') {
		const arch = raw.architectures;
		// An architecture list naming something else (GPT2LMHeadModel, MistralForCausalLM…) is not an LSWT model.
		if (Array.isArray(arch) && arch.length && !arch.some((a) => typeof a === 'string' && a.startsWith('LSWT'))) {
			return null;
		}
		return 'lswt';
	}
	return null;
}

/** A Llama-family config.json resolved, or null when `raw` is not one (the LSWT resolver takes it then). */
export function resolveFamilyConfig(
	raw: Record<string, unknown>,
	where = 'config.json',
): { config: LlamaConfig; defaulted: string[] } | null {
	return familyOfJson(raw) === 'llama' ? resolveLlamaConfig(raw, where) : null;
}

/** "LSWT checkpoints only" for code that has no Llama path yet: a clear error instead of a crash deep inside. */
export function requireLswt(c: ModelConfig, what: string): LSWTConfig {
	if (isLlama(c)) {
		throw new Error(
			`${what} works with LSWT checkpoints only so far; this is a ${c.model_type} model (docs/MODELS.md)`,
		);
	}
	return c;
}

/** The longest sequence (in tokens) the model takes, and where that number came from, for either family. */
export function contextLength(c: ModelConfig): { tokens: number; from: string } {
	return familyOf(c).contextLength(c);
}
