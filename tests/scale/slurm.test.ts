/**
 * Scale-out, really run (issue 17.6): a single-node Slurm cluster on localhost (munged, slurmctld, slurmd, each in
 * the foreground as a child of this test, in a temp folder with generated keys, config and free ports), the
 * shipped docs/examples/sweep-slurm.sh submitted as a 3-task array over a small spec, `dph sweep merge` over the
 * shards, and the merged table checked against the unsharded sweep's.
 *
 * Debian's slurm-wlm and munge are installed when missing and we are root with apt-get (.ci/run installs them
 * beforehand). Where they cannot be, the test says so on the console and runs the same script as Slurm would
 * start it (the SLURM_* variables of each array task set by hand), which still checks the script, the shards and
 * the merge; only the scheduler is missing then.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { capture } from '../cli/capture';

const SCRIPT = resolve('docs/examples/sweep-slurm.sh');
const SHARDS = 3;
const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo', 'squeue', 'scancel'];

/** 2 poolers × 3 seeds of the nano model, 3 steps each: two runs per array task. */
const spec = {
	name: 'slurm-test',
	base: {
		steps: 3,
		batchSize: 2,
		evalEvery: 3,
		optim: { warmupSteps: 0 },
		data: { trainPairs: 8, validationPairs: 4, maxLen: 32 },
	},
	grid: { pooler: ['identity', 'bert'], seed: [1, 2, 3] },
};

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = () => DAEMONS.filter((c) => !have(c));

/** null when Slurm is there (installing it if we may), else why it cannot be. */
function ensureSlurm(): string | null {
	if (!missing().length) return null;
	if (process.getuid?.() !== 0) return `not root, and ${missing().join(', ')} missing`;
	if (!have('apt-get')) return `no apt-get, and ${missing().join(', ')} missing`;
	const install = () =>
		spawnSync(
			'apt-get',
			['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', '--no-install-recommends', 'slurm-wlm', 'munge'],
			{ encoding: 'utf8', timeout: 900_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
		);
	let r = install();
	if (r.status !== 0) {
		// A fresh machine's package lists may be empty or old.
		spawnSync('apt-get', ['update', '-qq'], { timeout: 600_000 });
		r = install();
	}
	if (r.status !== 0) return `apt-get install slurm-wlm munge failed: ${(r.stderr || r.stdout).trim().slice(-300)}`;
	return missing().length ? `still missing after apt-get: ${missing().join(', ')}` : null;
}

function freePort(): Promise<number> {
	return new Promise((done, fail) => {
		const s = createServer();
		s.once('error', fail);
		s.listen(0, '127.0.0.1', () => {
			const a = s.address();
			s.close(() => done(typeof a === 'object' && a ? a.port : 0));
		});
	});
}

async function until(what: string, ok: () => boolean, ms: number, logs: () => string) {
	const t0 = Date.now();
	while (!ok()) {
		if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}\n${logs()}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/** The cluster: its folder, its daemons (our children), and the environment its clients need. */
interface Cluster {
	dir: string;
	env: NodeJS.ProcessEnv;
	daemons: ChildProcess[];
	logs: () => string;
}

async function startCluster(dir: string): Promise<Cluster> {
	const daemons: ChildProcess[] = [];
	for (const d of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
	const key = join(dir, 'munge', 'munge.key');
	writeFileSync(key, Buffer.from(crypto.getRandomValues(new Uint8Array(1024))), { mode: 0o400 });
	const sock = join(dir, 'munge', 'munge.socket');
	const tail = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-15).join('\n') : '');
	const logs = () =>
		['munged.out', 'slurmctld.out', 'slurmctld.log', 'slurmd.out', 'slurmd.log']
			.map((f) => `--- ${f}\n${tail(join(dir, 'log', f))}`)
			.join('\n');
	const start = (cmd: string, args: string[], name: string, env: NodeJS.ProcessEnv = process.env) => {
		const out = join(dir, 'log', `${name}.out`);
		const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
		p.stdout?.on('data', (b) => writeFileSync(out, b, { flag: 'a' }));
		p.stderr?.on('data', (b) => writeFileSync(out, b, { flag: 'a' }));
		daemons.push(p);
		return p;
	};
	// -F: stay in the foreground, so it is our child and ours to stop; -f: run even though /tmp is world-writable.
	start(
		'munged',
		[
			'-F',
			'-f',
			`--key-file=${key}`,
			`--socket=${sock}`,
			`--pid-file=${join(dir, 'munge', 'pid')}`,
			`--log-file=${join(dir, 'log', 'munged.log')}`,
			`--seed-file=${join(dir, 'munge', 'seed')}`,
		],
		'munged',
	);
	const cluster = { dir, daemons, logs, env: process.env };
	await until('munged to open its socket', () => existsSync(sock), 30_000, logs);

	const host = hostname().split('.')[0];
	const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
	const conf = join(dir, 'slurm.conf');
	writeFileSync(
		conf,
		`${[
			'ClusterName=dphtest',
			`SlurmctldHost=${host}(127.0.0.1)`,
			`SlurmctldPort=${ctldPort}`,
			`SlurmdPort=${slurmdPort}`,
			'SlurmUser=root',
			'SlurmdUser=root',
			'AuthType=auth/munge',
			'CredType=cred/munge',
			`AuthInfo=socket=${sock}`,
			`StateSaveLocation=${join(dir, 'state')}`,
			`SlurmdSpoolDir=${join(dir, 'spool')}`,
			`SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
			`SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
			`SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
			`SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
			// No cgroups and no systemd here: track processes by parentage, bind no tasks.
			'ProctrackType=proctrack/linuxproc',
			'TaskPlugin=task/none',
			'JobAcctGatherType=jobacct_gather/none',
			'AccountingStorageType=accounting_storage/none',
			'SelectType=select/cons_tres',
			'SelectTypeParameters=CR_CPU',
			'MpiDefault=none',
			'ReturnToService=2',
			`NodeName=${host} NodeHostname=${host} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} RealMemory=${Math.floor(totalmem() / 2 ** 20)} State=UNKNOWN`,
			`PartitionName=dph Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
		].join('\n')}\n`,
	);
	const env = { ...process.env, SLURM_CONF: conf };
	cluster.env = env;
	// -D: foreground, our child; -i: ignore state left by an earlier cluster (there is none: a new folder).
	start('slurmctld', ['-D', '-i', '-f', conf], 'slurmctld', env);
	start('slurmd', ['-D', '-f', conf, '-N', host], 'slurmd', env);
	const state = () => spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout.trim();
	await until(
		'the node to be idle',
		() => state() === 'idle',
		60_000,
		() => `sinfo: ${state()}\n${logs()}`,
	);
	return cluster;
}

/** Cancel what is left, stop the daemons (SIGTERM, then SIGKILL), remove the folder. */
async function stopCluster(c: Cluster) {
	spawnSync('scancel', ['--user', 'root'], { env: c.env, timeout: 10_000 });
	for (const p of [...c.daemons].reverse()) {
		if (p.exitCode !== null || p.signalCode !== null) continue;
		const gone = new Promise((r) => p.once('exit', r));
		p.kill('SIGTERM');
		const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
		await gone;
		clearTimeout(t);
	}
	rmSync(c.dir, { recursive: true, force: true });
}

/** Run a command to its end, without blocking the event loop. */
function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv, ms: number) {
	return new Promise<{ status: number | null; out: string }>((done) => {
		const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		p.stdout.on('data', (b) => {
			out += b;
		});
		p.stderr.on('data', (b) => {
			out += b;
		});
		const t = setTimeout(() => p.kill('SIGKILL'), ms);
		p.on('exit', (status) => {
			clearTimeout(t);
			done({ status, out });
		});
	});
}

const untimed = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/"seconds":[0-9.e+-]+/g, '"seconds":0'));

let cluster: Cluster | null = null;
let why: string | null = null;
let root = '';

beforeAll(async () => {
	root = mkdtempSync(join(tmpdir(), 'dph-slurm-'));
	why = ensureSlurm();
	if (why) {
		console.warn(
			`slurm test: NO SLURM CLUSTER here (${why}); running docs/examples/sweep-slurm.sh as Slurm would start each array task instead`,
		);
		return;
	}
	try {
		cluster = await startCluster(join(root, 'cluster'));
	} catch (e) {
		if (cluster) await stopCluster(cluster);
		throw e;
	}
}, 900_000);

// Even when a test fails or times out: no daemon outlives the file.
afterAll(async () => {
	if (cluster) await stopCluster(cluster);
	rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('scale-out on Slurm', () => {
	it('docs/examples/sweep-slurm.sh as a 3-task array, merged, gives the unsharded sweep’s table and runs', async () => {
		const t0 = Date.now();
		expect(spawnSync('bash', ['-n', SCRIPT]).status).toBe(0);
		const file = join(root, 'sweep.json');
		writeFileSync(file, JSON.stringify(spec));
		const out = join(root, 'out');
		const logs = join(root, 'logs');
		mkdirSync(logs);
		const jobEnv = { DPH_SWEEP_SPEC: file, DPH_SWEEP_OUT: out, DPH_SWEEP_SHARDS: String(SHARDS) };
		if (cluster) {
			// The array's size, cores and memory for this small spec; everything else is the script's own.
			const r = await exec(
				'sbatch',
				[
					'--parsable',
					'--wait',
					`--array=0-${SHARDS - 1}`,
					'--cpus-per-task=1',
					'--mem=512M',
					'--time=00:10:00',
					`--output=${join(logs, 'dph-sweep-%A_%a.log')}`,
					SCRIPT,
				],
				{ ...cluster.env, ...jobEnv },
				300_000,
			);
			const taskLogs = () =>
				spawnSync('sh', ['-c', `tail -n 20 ${logs}/*`], { encoding: 'utf8' }).stdout + cluster?.logs();
			expect(r.status, `sbatch: ${r.out}\n${taskLogs()}`).toBe(0);
			const jid = r.out.trim().split(/\s+/)[0];
			expect(jid).toMatch(/^\d+/);
			for (let k = 0; k < SHARDS; k++) {
				expect(readFileSync(join(logs, `dph-sweep-${jid}_${k}.log`), 'utf8')).toMatch(
					new RegExp(`shard ${k}/${SHARDS}: 2 of 6 runs`),
				);
			}
			expect(spawnSync('squeue', ['-h'], { env: cluster.env, encoding: 'utf8' }).stdout.trim()).toBe('');
		} else {
			for (let k = 0; k < SHARDS; k++) {
				const env = {
					...process.env,
					...jobEnv,
					SLURM_SUBMIT_DIR: process.cwd(),
					SLURM_ARRAY_TASK_ID: String(k),
					SLURM_CPUS_PER_TASK: '1',
				};
				const r = await exec('bash', [SCRIPT], env, 300_000);
				expect(r.status, r.out).toBe(0);
				expect(r.out).toMatch(new RegExp(`shard ${k}/${SHARDS}: 2 of 6 runs`));
			}
		}
		const shardFiles = Array.from({ length: SHARDS }, (_, k) => join(out, `results-${k}-of-${SHARDS}.jsonl`));
		const m = capture();
		expect(await main(['sweep', 'merge', ...shardFiles, '--spec', file, '--json'], m), m.err).toBe(0);
		const merged = JSON.parse(m.out);
		const whole = capture();
		expect(
			await main(['sweep', file, '--out', join(root, 'all'), '--backend', 'wasm', '--jobs', '1', '--json'], whole),
			whole.err,
		).toBe(0);
		const unsharded = JSON.parse(whole.out);
		expect(merged.missing).toEqual([]);
		expect(merged.duplicates).toEqual([]);
		expect(merged.table).toEqual(unsharded.table);
		expect(untimed(merged.runs)).toEqual(untimed(unsharded.runs));
		expect(merged.runs).toHaveLength(6);
		console.info(
			`slurm test: ${cluster ? 'Slurm array' : 'array tasks by hand (no Slurm)'} of ${SHARDS} tasks + merge + unsharded sweep in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
		);
	}, 600_000);
});
