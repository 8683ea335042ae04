import { inspectCheckpoint } from '../../lib/dph/checkpoint/load.ts';
import { dirFolder } from '../../node/checkpoint-folder.ts';
import { type CliCommand, flag, UsageError } from '../args.ts';

const mb = (b: number) => (b / 1e6).toFixed(b < 1e6 ? 3 : 1);

export const inspectCommand: CliCommand = {
	name: 'inspect',
	summary: 'model card and tensor table of a checkpoint folder (reads headers only, not the weights)',
	usage: 'dph inspect <checkpoint-dir> [--json]',
	help: `Reads config.json (reference defaults filled in and listed), tokenizer.json and the header of
model.safetensors, checks that they fit together (missing, unexpected and mis-shaped tensors), and prints a
model card and one row per tensor: name, dtype, shape, size. No weights are loaded.
Options:
  --json    one JSON object {card, config, defaulted, notes, report, tensors}`,
	options: { json: { type: 'boolean' } },
	async run(args, io) {
		const dir = args.positionals[0];
		if (!dir) throw new UsageError('give the checkpoint folder: dph inspect <checkpoint-dir>');
		const info = await inspectCheckpoint(await dirFolder(dir));
		const { card } = info;
		if (flag(args, 'json')) {
			io.stdout(
				`${JSON.stringify({
					card,
					config: info.config,
					defaulted: info.defaulted,
					notes: info.notes,
					report: info.report,
					tensors: info.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.byteLength })),
				})}\n`,
			);
			return 0;
		}
		const rows: [string, string][] = [
			['model', card.name],
			['parameters', card.parameters.toLocaleString('en')],
			['weights', `${card.dtypes.join(', ')} · ${mb(card.fileBytes)} MB`],
			['layers × heads', `${card.layers} × ${card.heads}`],
			['d_model / d_ffn / d_vocab', `${card.dModel} / ${card.dFfn} / ${card.dVocab}`],
			['vocab (model / tokenizer)', `${card.vocabSize} / ${card.tokenizerVocab}`],
			['pooler', card.pooler],
			[card.rewardHeads.length > 1 ? 'reward heads' : 'reward head', card.rewardHeads.join(', ') || '(none)'],
		];
		const w = Math.max(...rows.map(([k]) => k.length));
		const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
		for (const n of info.notes) lines.push(`note: ${n}`);
		lines.push('');
		const nameW = Math.max(6, ...info.tensors.map((t) => t.name.length));
		const shapes = info.tensors.map((t) => `[${t.shape.join(', ')}]`);
		const shapeW = Math.max(5, ...shapes.map((s) => s.length));
		lines.push(`${'tensor'.padEnd(nameW)}  dtype  ${'shape'.padEnd(shapeW)}  MB`);
		info.tensors.forEach((t, i) => {
			const mark = info.report.unexpected.includes(t.name) ? '  (unused)' : '';
			lines.push(
				`${t.name.padEnd(nameW)}  ${t.dtype.padEnd(5)}  ${shapes[i].padEnd(shapeW)}  ${mb(t.byteLength)}${mark}`,
			);
		});
		io.stdout(`${lines.join('\n')}\n`);
		return 0;
	},
};
