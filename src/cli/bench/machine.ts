/** What `dph bench` ran on: one line for people, and the same facts as a record in the JSON. */
import { cpus, platform, release, totalmem } from 'node:os';
import { type AdapterDescription, adapterLabel } from '../../lib/dph/backend.ts';
import { isSoftwareGpu } from './score-harness.ts';

export interface MachineInfo {
	cpu: string;
	cores: number;
	memory_gib: number;
	os: string;
	node: string;
	/** The WebGPU adapter tfjs got (null when WebGPU did not start or was not part of the run). */
	webgpu_adapter: string | null;
	webgpu_software: boolean | null;
}

export function describeMachine(adapter: AdapterDescription | null): MachineInfo {
	const cpu = cpus();
	let webgpu: string | null = null;
	if (adapter) {
		const detail = [adapter.vendor, adapter.architecture, adapter.description].filter((s) => s?.trim()).join(' / ');
		webgpu = `${adapterLabel(adapter)}${detail ? ` (${detail})` : ''}${isSoftwareGpu(adapter) ? ', a CPU emulation' : ''}`;
	}
	return {
		cpu: cpu[0]?.model?.trim() ?? 'unknown CPU',
		cores: cpu.length,
		memory_gib: Math.round(totalmem() / 2 ** 30),
		os: `${platform()} ${release()}`,
		node: process.version,
		webgpu_adapter: webgpu,
		webgpu_software: adapter ? isSoftwareGpu(adapter) : null,
	};
}

export function machineLine(m: MachineInfo, webgpu: { tried: boolean; error: string | null }): string {
	const gpu = m.webgpu_adapter
		? `WebGPU: ${m.webgpu_adapter}`
		: webgpu.tried
			? `no WebGPU adapter${webgpu.error ? ` (${webgpu.error})` : ''}`
			: 'WebGPU not probed (no part of this run uses it)';
	return `${m.cpu} · ${m.cores} cores · ${m.memory_gib} GiB · ${m.os} · Node ${m.node} · ${gpu}`;
}
