// Starts the Protime simulator (test/simulator/cli.mjs) as a separate process and drives it
// through its HTTP control API under <origin>/_sim/...
import path from 'node:path';
import { repoRoot } from './package.mjs';
import { freePort, log, startProcess, stopProcess, tail, waitFor } from './procs.mjs';

export async function startSimulator({ runDir, demo = false, port, tenant = 'acme', extraArgs = [], name = 'simulator' }) {
	port = port ?? (await freePort());
	const logFile = path.join(runDir, `${name}.log`);
	const args = ['--import', 'tsx', path.join(repoRoot, 'test', 'simulator', 'cli.mjs'), '--port', String(port), '--tenant', tenant];
	if (demo) args.push('--demo');
	args.push(...extraArgs);
	const proc = startProcess(name, process.execPath, args, {
		cwd: repoRoot,
		env: { ...process.env, NODE_OPTIONS: '' },
		logFile,
	});
	const origin = `http://127.0.0.1:${port}`;
	const sim = new SimulatorClient(origin, proc);
	await waitFor(
		`simulator on ${origin}`,
		async () => {
			if (proc.code !== undefined) throw new Error(`simulator exited with ${proc.code}:\n${tail(logFile)}`);
			const r = await fetch(`${origin}/_sim/health`).catch(() => undefined);
			if (r?.ok) return true;
			const r2 = await fetch(`${origin}/_sim/clients`).catch(() => undefined);
			return r2?.ok;
		},
		{ timeoutMs: 60_000, intervalMs: 300 },
	).catch((err) => {
		throw new Error(`${err.message}\n--- ${logFile} ---\n${tail(logFile)}`);
	});
	log(`simulator ready on ${origin}`);
	return sim;
}

export class SimulatorClient {
	constructor(origin, proc) {
		this.origin = origin;
		this.proc = proc;
	}

	async call(method, p, body, { expect = [200, 201, 204] } = {}) {
		const res = await fetch(`${this.origin}/_sim${p}`, {
			method,
			headers: body === undefined ? {} : { 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (expect && !expect.includes(res.status)) throw new Error(`simulator ${method} /_sim${p} → ${res.status}: ${text.slice(0, 500)}`);
		try {
			return text ? JSON.parse(text) : undefined;
		} catch {
			return text;
		}
	}

	stop() {
		return stopProcess(this.proc);
	}
}
