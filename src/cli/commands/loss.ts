import { formatRange, getLoss, LOSS_NAMES, withLabelNoise } from '../../lib/dph/losses/index.ts';
import { LossParamError, type LossParams, type Optimum, type PreferenceLoss } from '../../lib/dph/losses/types.ts';
import {
	type CliCommand,
	type CliIO,
	cliOptions,
	flag,
	num,
	type Options,
	type ParsedArgs,
	str,
	UsageError,
} from '../args.ts';

/** Parameter options shared by `dph loss` and `dph landscape` (the union of every loss's parameters). */
export const PARAM_OPTIONS = ['eps', 'beta', 'gamma', 'delta'] as const;

export const lossOptions: Options = cliOptions({ string: ['loss', ...PARAM_OPTIONS, 'noise'] });

export const LOSS_OPTIONS_HELP = `  --loss NAME      one of ${LOSS_NAMES.join(', ')}
  --eps E          label smoothing / flip rate ε (sepdph, condph, cdpo: 0 ≤ ε ≤ 0.5; rdpo: 0 ≤ ε < 0.5)
  --beta B         IPO's β (> 0)
  --gamma G        SimPO's target margin γ (≥ 0)
  --delta D        SLiC's hinge margin δ (≥ 0) or BCO's reward shift δ
  --noise ETA      use the expected loss when a fraction ETA of preference labels is flipped
Options whose value starts with "-" can be written --rl=-0.3.`;

export interface ResolvedLoss {
	loss: PreferenceLoss<LossParams>;
	params: LossParams;
	/** The label-noise rate when --noise was given. */
	noise?: number;
}

/** The loss and validated parameters named by the options; every problem is a UsageError. */
export function lossFromArgs(args: ParsedArgs): ResolvedLoss {
	const name = str(args, 'loss');
	if (!name) throw new UsageError(`--loss is required: one of ${LOSS_NAMES.join(', ')}`);
	try {
		const base = getLoss(name);
		const raw: LossParams = {};
		for (const k of PARAM_OPTIONS) {
			const v = num(args, k);
			if (v !== undefined) raw[k] = v;
		}
		const params = base.validate(raw, { strict: true });
		const noise = num(args, 'noise');
		if (noise === undefined) return { loss: base, params };
		return { loss: withLabelNoise(base, noise), params, noise };
	} catch (e) {
		if (e instanceof LossParamError) throw new UsageError(e.message);
		throw e;
	}
}

/** JSON with ±Infinity and NaN as strings, since JSON has no literal for them (an rDPO infimum is −∞). */
export function toJson(value: unknown): string {
	return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

export function describeOptimum(o: Optimum): string {
	switch (o.kind) {
		case 'point':
			return `point r_w = ${o.rw}, r_l = ${o.rl} (loss ${o.value}${o.closedForm ? ', closed form' : ', numeric'})`;
		case 'margin':
			return `line r_w − r_l = ${o.margin} (loss ${o.value}${o.closedForm ? ', closed form' : ', numeric'})`;
		case 'set':
			return `${o.description} (loss ${o.value})`;
		case 'diverges':
			return `none: ${o.direction}; ${o.reason} (infimum ${o.infimum})`;
	}
}

function list(io: CliIO, json: boolean): number {
	const losses = LOSS_NAMES.map((n) => getLoss(n));
	if (json) {
		const out = losses.map((l) => ({
			name: l.name,
			title: l.title,
			tex: l.tex,
			gradTex: l.gradTex,
			description: l.description,
			structure: l.structure.kind,
			params: l.params.map((s) => ({
				name: s.name,
				symbol: s.symbol,
				range: formatRange(s),
				min: s.min,
				max: s.max,
				minInclusive: s.minInclusive,
				maxInclusive: s.maxInclusive,
				default: s.default,
				description: s.description,
			})),
		}));
		io.stdout(`${toJson(out)}\n`);
		return 0;
	}
	const width = Math.max(...losses.map((l) => l.name.length)) + 2;
	for (const l of losses) {
		const ps = l.params.length
			? l.params.map((s) => `--${s.name} (${formatRange(s)}, default ${s.default})`).join('; ')
			: 'no parameters';
		io.stdout(`${l.name.padEnd(width)}${l.title} — ${ps}\n`);
	}
	return 0;
}

export const lossCommand: CliCommand = {
	name: 'loss',
	summary: 'loss, gradient, Hessian and optimum of one preference loss at one pair (r_w, r_l)',
	usage:
		'dph loss --loss NAME --rw RW --rl RL [--eps E] [--beta B] [--gamma G] [--delta D] [--noise ETA] [--json] | dph loss --list [--json]',
	help: `Evaluates one loss in float64 at one pair of rewards (preferred r_w, dispreferred r_l).
DPO-family losses take implicit rewards r = β·log(π/π_ref), already multiplied by β.

Options:
${LOSS_OPTIONS_HELP}
  --rw RW, --rl RL rewards of the preferred and dispreferred completion
  --list           list the losses and their parameters
  --json           one JSON object: {"name","params","rw","rl","loss","grad","hessian","convex","optimum"}
                   (infinite numbers such as an rDPO infimum are written as the strings "Infinity"/"-Infinity")`,
	options: { ...lossOptions, ...cliOptions({ string: ['rw', 'rl'], boolean: ['list', 'json'] }) },
	async run(args, io) {
		const json = flag(args, 'json');
		if (flag(args, 'list')) return list(io, json);
		if (args.positionals.length) throw new UsageError(`loss: unexpected argument "${args.positionals[0]}"`);
		const { loss, params, noise } = lossFromArgs(args);
		const rw = num(args, 'rw');
		const rl = num(args, 'rl');
		if (rw === undefined || rl === undefined) throw new UsageError('--rw and --rl are required (or --list)');
		const result = {
			name: loss.name,
			params,
			...(noise !== undefined ? { noise } : {}),
			rw,
			rl,
			loss: loss.value(rw, rl, params),
			grad: loss.grad(rw, rl, params),
			hessian: loss.hessian(rw, rl, params),
			convex: loss.convex(params),
			optimum: loss.optimum(params),
		};
		if (json) {
			io.stdout(`${toJson(result)}\n`);
			return 0;
		}
		const ps = Object.entries(params)
			.map(([k, v]) => `${k} = ${v}`)
			.join(', ');
		io.stdout(
			`${loss.title}${ps ? ` (${ps})` : ''} at r_w = ${rw}, r_l = ${rl}\n` +
				`  loss     ${result.loss}\n` +
				`  grad     dL/dr_w = ${result.grad[0]}, dL/dr_l = ${result.grad[1]}\n` +
				`  hessian  [[${result.hessian[0].join(', ')}], [${result.hessian[1].join(', ')}]]${result.convex ? ' (convex loss)' : ''}\n` +
				`  optimum  ${describeOptimum(result.optimum)}\n`,
		);
		return 0;
	},
};
