import { type BackendReport, initBackend } from '../../lib/dph/backend.ts';
import { formatRate } from '../../lib/dph/backend-choice.ts';
import { runSelfTest } from '../../lib/dph/selftest.ts';
import { backendArg, type CliCommand, type CliIO, flag, num, UsageError } from '../args.ts';
import { backendCachePath, cliMeasured } from '../backend-cache.ts';

function printChoice(report: BackendReport, io: CliIO) {
	const c = report.choice;
	if (!c) return;
	io.stdout(`choice:  ${c.summary} (${c.why})\n`);
	for (const f of c.figures) {
		const rate =
			f.trainTokensPerSecond === null
				? '—'
				: `${!f.stopped ? '' : f.bound === 'first-step' ? '~ ' : '< '}${formatRate(f.trainTokensPerSecond)} tok/s`;
		const score = f.scoreMs === null ? '' : `, scoring ${f.scoreMs.toFixed(0)} ms`;
		io.stdout(`  ${f.label.padEnd(24)} ${rate}${score}${f.note ? ` — ${f.note}` : ''}\n`);
	}
	if (c.source !== 'heuristic') io.stdout(`  (stored in ${backendCachePath()})\n`);
}

export const backendCommand: CliCommand = {
	name: 'backend',
	summary: 'which tfjs backend this machine uses (measured fastest, or --backend), why, and a short training self-test',
	usage: 'dph backend [--backend webgpu|wasm|cpu] [--measure] [--train STEPS] [--json]',
	help: `Without --backend every dph command uses the backend measured fastest on this machine: a few nano-model
DPH training steps and a scoring call timed on wasm, cpu and WebGPU (a software WebGPU adapter such as
SwiftShader is not timed in Node), kept in ${'$'}DPH_BACKEND_CACHE or ~/.cache/dph/backend.json and re-measured when
Node, the adapter or tfjs change, or after 30 days.

Options:
  --backend NAME   require this backend instead of the measured one
  --measure        time the backends again now and store the result
  --train STEPS    also train a tiny reward model for STEPS steps and report loss and ms/step
  --json           print one JSON object on stdout`,
	options: {
		backend: { type: 'string' },
		measure: { type: 'boolean' },
		train: { type: 'string' },
		json: { type: 'boolean' },
	},
	async run(args, io) {
		const want = backendArg(args);
		const steps = num(args, 'train', 0) ?? 0;
		if (!Number.isInteger(steps) || steps < 0) throw new UsageError(`--train must be a whole number ≥ 0, got ${steps}`);
		if (want && flag(args, 'measure')) throw new UsageError('--measure times every backend; leave out --backend');
		const json = flag(args, 'json');
		const measured = cliMeasured({ force: flag(args, 'measure'), say: (l) => io.stderr(l) });
		if (!json)
			measured.onProgress = (p) => {
				if (p.phase === 'starting') io.stderr(`  timing ${p.backend} (${p.index}/${p.total})…\n`);
			};
		const report = await initBackend(want ? { prefer: want } : { skipSoftwareGpu: true, measured });
		const selftest =
			steps > 0
				? await runSelfTest({
						backend: report.backend,
						steps,
						onStep: (s) => {
							if (!json) io.stderr(`  step ${s.step}/${steps}  loss ${s.loss.toFixed(4)}  ${s.ms.toFixed(0)} ms\n`);
						},
					})
				: undefined;
		if (json) {
			const { choice, ...rest } = report;
			const out = choice ? { ...rest, choice: { ...choice, entry: undefined } } : rest;
			io.stdout(`${JSON.stringify({ ...out, selftest })}\n`);
			return 0;
		}
		io.stdout(`backend: ${report.backend} (${report.label}) in ${report.environment}\n`);
		if (report.threads !== undefined) io.stdout(`threads: ${report.threads} (wasm)\n`);
		if (report.adapter) {
			const a = report.adapter;
			io.stdout(
				`adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'n/a'}` +
					`${a.isFallbackAdapter ? ' (fallback adapter)' : ''}\n` +
					`limits:  maxBufferSize ${a.maxBufferSize}, maxStorageBufferBindingSize ${a.maxStorageBufferBindingSize}\n`,
			);
		}
		printChoice(report, io);
		for (const s of report.skipped) io.stdout(`skipped ${s.backend}: ${s.reason}\n`);
		if (selftest) {
			io.stdout(
				`self-test: ${selftest.steps.length} steps, loss ${selftest.firstLoss.toFixed(4)} → ${selftest.lastLoss.toFixed(4)}, ` +
					`${selftest.msPerStep.toFixed(1)} ms/step, tensor growth ${selftest.tensorGrowth}\n`,
			);
		}
		return 0;
	},
};
