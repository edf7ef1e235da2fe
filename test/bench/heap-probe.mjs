// V8 heap of another Node process through its inspector (Chrome DevTools Protocol).
// Two halves in one file:
// - startHeapProbe() (imported by the bench under any Node): spawns this file as a child under a Node that has a
//   global WebSocket (Node ≥ 22; the bench passes n8n's Node 24) and talks to it in JSON lines over stdin/stdout.
// - run as a script (`node heap-probe.mjs <inspector port>`): connects to the target's inspector (websocket URL from
//   http://127.0.0.1:<port>/json/list) and answers commands:
//     pid      → Runtime.evaluate("process.pid"), to check it is attached to the intended process
//     gc       → HeapProfiler.collectGarbage twice, then Runtime.getHeapUsage
//     start    → sample Runtime.getHeapUsage every `intervalMs` (one request in flight at a time), keep the peaks
//     stop     → stop sampling; the peaks and the number of samples
//     snapshot → HeapProfiler.takeHeapSnapshot written to `file`
//     profileStart / profileStop → HeapProfiler.startSampling / stopSampling (allocation sampling profile, written
//                to `file`), for finding where heap is allocated
// No domain is enabled (no Runtime.enable), so the target does not report console or script events to the probe.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

/** Starts the probe child (nodeBin must have a global WebSocket) attached to 127.0.0.1:port. */
export function startHeapProbe({ nodeBin, port }) {
	const child = spawn(nodeBin, [self, String(port)], {
		stdio: ['pipe', 'pipe', 'inherit'],
		env: { PATH: process.env.PATH, HOME: process.env.HOME },
	});
	const pending = new Map();
	let next = 1;
	let exited;
	const lines = createInterface({ input: child.stdout });
	lines.on('line', (line) => {
		const msg = JSON.parse(line);
		const p = pending.get(msg.id);
		if (!p) return;
		pending.delete(msg.id);
		if (msg.error) p.reject(new Error(`heap probe: ${msg.error}`));
		else p.resolve(msg.result);
	});
	child.on('exit', (code) => {
		exited = code;
		for (const p of pending.values()) p.reject(new Error(`heap probe exited with ${code}`));
		pending.clear();
	});
	const call = (cmd, args = {}) =>
		new Promise((resolve, reject) => {
			if (exited !== undefined) return reject(new Error(`heap probe exited with ${exited}`));
			const id = next++;
			pending.set(id, { resolve, reject });
			child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
		});
	return {
		pid: child.pid,
		call,
		pidOfTarget: () => call('pid'),
		/** Full GC (twice), then { usedSize, totalSize, ... } of the target's V8 heap. */
		gc: () => call('gc'),
		start: (intervalMs = 10) => call('start', { intervalMs }),
		/** { peakUsedSize, samples, ... } since start(). */
		stop: () => call('stop'),
		/** Heap snapshot (.heapsnapshot, for Chrome DevTools' Memory tab) written to file. */
		snapshot: (file) => call('snapshot', { file }),
		profileStart: () => call('profileStart'),
		profileStop: (file) => call('profileStop', { file }),
		close() {
			if (exited === undefined) child.kill('SIGTERM');
		},
	};
}

async function probeMain(port) {
	const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
	const target = targets.find((t) => t.webSocketDebuggerUrl);
	if (!target) throw new Error(`no inspector target on port ${port}`);
	const ws = new WebSocket(target.webSocketDebuggerUrl);
	await new Promise((resolve, reject) => {
		ws.addEventListener('open', resolve, { once: true });
		ws.addEventListener(
			'error',
			() => reject(new Error(`cannot connect to ${target.webSocketDebuggerUrl}`)),
			{ once: true },
		);
	});
	const waiting = new Map();
	let nextId = 1;
	ws.addEventListener('message', (event) => {
		const msg = JSON.parse(String(event.data));
		if (msg.id === undefined) return; // events (none are enabled)
		const w = waiting.get(msg.id);
		waiting.delete(msg.id);
		if (msg.error) w?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
		else w?.resolve(msg.result);
	});
	ws.addEventListener('close', () => process.exit(3));
	const send = (method, params = {}) =>
		new Promise((resolve, reject) => {
			const id = nextId++;
			waiting.set(id, { resolve, reject });
			ws.send(JSON.stringify({ id, method, params }));
		});

	let sampling; // { stop: boolean, done: Promise, peakUsedSize, peakTotalSize, samples }
	const sampleLoop = async (s, intervalMs) => {
		while (!s.stop) {
			const t = performance.now();
			const u = await send('Runtime.getHeapUsage');
			s.samples++;
			if (u.usedSize > s.peakUsedSize) s.peakUsedSize = u.usedSize;
			if (u.totalSize > s.peakTotalSize) s.peakTotalSize = u.totalSize;
			const outside = (u.backingStorageSize ?? 0) + u.usedSize;
			if (outside > s.peakUsedPlusBackingStorage) s.peakUsedPlusBackingStorage = outside;
			const wait = intervalMs - (performance.now() - t);
			if (wait > 0 && !s.stop) await new Promise((r) => setTimeout(r, wait));
		}
	};
	const commands = {
		async pid() {
			const r = await send('Runtime.evaluate', { expression: 'process.pid', returnByValue: true });
			return r.result.value;
		},
		async gc() {
			await send('HeapProfiler.collectGarbage');
			await send('HeapProfiler.collectGarbage');
			return send('Runtime.getHeapUsage');
		},
		async start({ intervalMs = 10 }) {
			if (sampling) throw new Error('already sampling');
			const s = {
				stop: false,
				peakUsedSize: 0,
				peakTotalSize: 0,
				peakUsedPlusBackingStorage: 0,
				samples: 0,
				t0: performance.now(),
			};
			s.done = sampleLoop(s, intervalMs);
			sampling = s;
			return {};
		},
		async stop() {
			if (!sampling) throw new Error('not sampling');
			const s = sampling;
			sampling = undefined;
			s.stop = true;
			await s.done;
			const ms = performance.now() - s.t0;
			return {
				peakUsedSize: s.peakUsedSize,
				peakTotalSize: s.peakTotalSize,
				peakUsedPlusBackingStorage: s.peakUsedPlusBackingStorage,
				samples: s.samples,
				ms,
			};
		},
		async snapshot({ file }) {
			const out = fs.openSync(file, 'w');
			const onChunk = (event) => {
				const msg = JSON.parse(String(event.data));
				if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') fs.writeSync(out, msg.params.chunk);
			};
			ws.addEventListener('message', onChunk);
			try {
				await send('HeapProfiler.enable');
				await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
				await send('HeapProfiler.disable');
			} finally {
				ws.removeEventListener('message', onChunk);
				fs.closeSync(out);
			}
			return { file };
		},
		async profileStart() {
			await send('HeapProfiler.enable');
			// every allocation sampled about once per 32 KiB, also those already collected again by GC (the garbage)
			await send('HeapProfiler.startSampling', {
				samplingInterval: 32768,
				includeObjectsCollectedByMajorGC: true,
				includeObjectsCollectedByMinorGC: true,
			});
			return {};
		},
		async profileStop({ file }) {
			const { profile } = await send('HeapProfiler.stopSampling');
			await send('HeapProfiler.disable');
			fs.writeFileSync(file, JSON.stringify(profile));
			return { file };
		},
	};
	const rl = createInterface({ input: process.stdin });
	rl.on('line', async (line) => {
		const { id, cmd, ...args } = JSON.parse(line);
		try {
			const fn = commands[cmd];
			if (!fn) throw new Error(`unknown command ${cmd}`);
			process.stdout.write(`${JSON.stringify({ id, result: await fn(args) })}\n`);
		} catch (error) {
			process.stdout.write(`${JSON.stringify({ id, error: String(error?.message ?? error) })}\n`);
		}
	});
	rl.on('close', () => {
		ws.close();
		process.exit(0);
	});
}

if (process.argv[1] === self) {
	if (typeof WebSocket !== 'function') {
		process.stderr.write(
			`heap-probe: this Node (${process.version}) has no global WebSocket; run it under Node ≥ 22\n`,
		);
		process.exit(2);
	}
	probeMain(Number(process.argv[2])).catch((error) => {
		process.stderr.write(`heap-probe: ${error.stack ?? error}\n`);
		process.exit(1);
	});
}
