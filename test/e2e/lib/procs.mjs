// Process bookkeeping for the e2e harness: every child is started in its own process group
// (detached = setsid) and recorded; stopAll() ends exactly those, by process id, on success,
// failure, SIGINT and SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const started = []; // { name, child, pid, exited }
const cleanups = []; // async functions run before the processes are stopped (LIFO)
let handlersInstalled = false;
let stopping = null;

export function log(msg) {
	const t = new Date().toISOString().slice(11, 19);
	process.stderr.write(`[${t}] ${msg}\n`);
}

export function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

/** A free TCP port on 127.0.0.1 (the kernel picks it). */
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

/** Polls fn until it returns a truthy value (or throws on timeout with the last error). */
export async function waitFor(what, fn, { timeoutMs = 30_000, intervalMs = 250 } = {}) {
	const deadline = Date.now() + timeoutMs;
	let lastErr;
	for (;;) {
		try {
			const v = await fn();
			if (v) return v;
		} catch (err) {
			lastErr = err;
		}
		if (Date.now() > deadline) {
			throw new Error(
				`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${lastErr.message}` : ''}`,
			);
		}
		await sleep(intervalMs);
	}
}

/**
 * Starts a long-running process in its own session, output appended to logFile.
 * Returns { name, pid, child, exited (promise of exit code), logFile }.
 */
export function startProcess(name, cmd, args, { env, cwd, logFile } = {}) {
	installHandlers();
	const out = fs.openSync(logFile, 'a');
	const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['ignore', out, out] });
	fs.closeSync(out);
	const rec = { name, pid: child.pid, child, logFile, code: undefined };
	rec.exited = new Promise((resolve) => {
		child.on('exit', (code, signal) => {
			rec.code = code ?? signal;
			resolve(rec.code);
		});
		child.on('error', (err) => {
			rec.code = `spawn error: ${err.message}`;
			resolve(rec.code);
		});
	});
	started.push(rec);
	log(`started ${name} (pid ${child.pid}), log ${logFile}`);
	return rec;
}

function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** Stops one started process: SIGTERM to its process group, SIGKILL after graceMs. */
export async function stopProcess(rec, { graceMs = 10_000 } = {}) {
	if (!rec || rec.stopped) return;
	rec.stopped = true;
	const group = -rec.pid; // detached: the child leads its own process group
	const signal = (sig) => {
		try {
			process.kill(group, sig);
		} catch {
			try {
				process.kill(rec.pid, sig);
			} catch {
				/* already gone */
			}
		}
	};
	if (rec.code === undefined) {
		signal('SIGTERM');
		const done = await Promise.race([
			rec.exited.then(() => true),
			sleep(graceMs).then(() => false),
		]);
		if (!done) {
			log(`${rec.name} (pid ${rec.pid}) did not stop in ${graceMs} ms: SIGKILL`);
			signal('SIGKILL');
			await Promise.race([rec.exited, sleep(2000)]);
		}
	}
	// children left in the group (e.g. n8n's task runner) after the leader exited
	if (groupAlive(rec.pid)) {
		signal('SIGTERM');
		await sleep(500);
		if (groupAlive(rec.pid)) signal('SIGKILL');
	}
	const i = started.indexOf(rec);
	if (i >= 0) started.splice(i, 1);
}

function groupAlive(pgid) {
	try {
		process.kill(-pgid, 0);
		return true;
	} catch {
		return false;
	}
}

/** Registers an async cleanup (e.g. deactivating workflows, pg_ctl stop) run by stopAll before the processes. */
export function onCleanup(fn) {
	installHandlers();
	cleanups.push(fn);
}

/**
 * Runs cleanups, then stops every process this harness started (newest first). Concurrent calls share one
 * stop; a later call (e.g. the next bench section's) stops what was started since.
 */
export function stopAll() {
	if (stopping) return stopping;
	stopping = (async () => {
		while (cleanups.length) {
			const fn = cleanups.pop();
			try {
				await fn();
			} catch (err) {
				log(`cleanup failed: ${err.message}`);
			}
		}
		for (const rec of [...started].reverse()) {
			await stopProcess(rec);
		}
	})().finally(() => {
		stopping = null;
	});
	return stopping;
}

function installHandlers() {
	if (handlersInstalled) return;
	handlersInstalled = true;
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
		process.on(sig, () => {
			log(`${sig}: stopping everything started`);
			stopAll().finally(() => process.exit(130));
		});
	}
	process.on('exit', () => {
		// last resort, synchronous: kill whatever is still recorded
		for (const rec of started) {
			if (rec.code === undefined && alive(rec.pid)) {
				try {
					process.kill(-rec.pid, 'SIGKILL');
				} catch {
					/* gone */
				}
			}
		}
	});
}

export function tail(file, lines = 40) {
	try {
		return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
	} catch {
		return '';
	}
}
