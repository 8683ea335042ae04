import { initBackend } from '../../lib/dph/backend.ts';
import { runSelfTest } from '../../lib/dph/selftest.ts';
import { backendArg, type CliCommand, flag, num, UsageError } from '../args.ts';

export const backendCommand: CliCommand = {
	name: 'backend',
	summary: 'which tfjs backend this machine gets (webgpu → wasm → cpu), why, and a short training self-test',
	usage: 'dph backend [--backend webgpu|wasm|cpu] [--train STEPS] [--json]',
	help: `Options:
  --backend NAME   require this backend instead of trying webgpu → wasm → cpu
  --train STEPS    also train a tiny reward model for STEPS steps and report loss and ms/step
  --json           print one JSON object on stdout`,
	options: {
		backend: { type: 'string' },
		train: { type: 'string' },
		json: { type: 'boolean' },
	},
	async run(args, io) {
		const want = backendArg(args);
		const steps = num(args, 'train', 0) ?? 0;
		if (!Number.isInteger(steps) || steps < 0) throw new UsageError(`--train must be a whole number ≥ 0, got ${steps}`);
		const report = await initBackend(want ? { prefer: want } : {});
		const selftest =
			steps > 0
				? await runSelfTest({
						backend: report.backend,
						steps,
						onStep: (s) => {
							if (!flag(args, 'json'))
								io.stderr(`  step ${s.step}/${steps}  loss ${s.loss.toFixed(4)}  ${s.ms.toFixed(0)} ms\n`);
						},
					})
				: undefined;
		if (flag(args, 'json')) {
			io.stdout(`${JSON.stringify({ ...report, selftest })}\n`);
			return 0;
		}
		io.stdout(`backend: ${report.backend} (${report.label}) in ${report.environment}\n`);
		if (report.adapter) {
			const a = report.adapter;
			io.stdout(
				`adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'n/a'}` +
					`${a.isFallbackAdapter ? ' (fallback adapter)' : ''}\n` +
					`limits:  maxBufferSize ${a.maxBufferSize}, maxStorageBufferBindingSize ${a.maxStorageBufferBindingSize}\n`,
			);
		}
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
