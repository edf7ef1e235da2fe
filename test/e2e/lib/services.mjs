// Redis (and, when asked, PostgreSQL) from Debian's packages, started by the harness on a free
// loopback port in the run directory and stopped by process id.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, log, startProcess, tail, waitFor } from './procs.mjs';

function which(cmd) {
	for (const dir of (process.env.PATH || '')
		.split(path.delimiter)
		.concat(['/usr/sbin', '/usr/bin', '/usr/local/bin'])) {
		const p = path.join(dir, cmd);
		if (fs.existsSync(p)) return p;
	}
	return undefined;
}

/** A PING over RESP; resolves true on +PONG. */
function redisPing(port) {
	return new Promise((resolve) => {
		const s = net.connect(port, '127.0.0.1');
		s.setTimeout(1000);
		s.on('connect', () => s.write('PING\r\n'));
		s.on('data', (d) => {
			resolve(d.toString().startsWith('+PONG'));
			s.destroy();
		});
		s.on('error', () => resolve(false));
		s.on('timeout', () => {
			resolve(false);
			s.destroy();
		});
	});
}

export async function startRedis({ runDir }) {
	const bin = which('redis-server');
	if (!bin)
		throw new Error(
			"redis-server not found: install Debian's package (apt-get install -y redis-server); .ci/run does this",
		);
	const port = await freePort();
	const dir = path.join(runDir, 'redis');
	fs.mkdirSync(dir, { recursive: true });
	const proc = startProcess(
		'redis',
		bin,
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--dir',
			dir,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
			'--protected-mode',
			'yes',
		],
		{
			logFile: path.join(runDir, 'redis.log'),
			cwd: dir,
		},
	);
	await waitFor(
		'redis',
		async () => {
			if (proc.code !== undefined)
				throw new Error(`redis exited: ${tail(path.join(runDir, 'redis.log'))}`);
			return redisPing(port);
		},
		{ timeoutMs: 20_000 },
	);
	log(`redis ready on 127.0.0.1:${port}`);
	return { port, proc };
}

/** A PostgreSQL cluster, as the `postgres` user when run as root (initdb refuses root). */
export async function startPostgres({ runDir }) {
	const binDir = [
		'/usr/lib/postgresql/17/bin',
		'/usr/lib/postgresql/16/bin',
		'/usr/lib/postgresql/15/bin',
	].find((d) => fs.existsSync(path.join(d, 'initdb')));
	if (!binDir) throw new Error('PostgreSQL server not found: apt-get install -y postgresql');
	const port = await freePort();
	const asPg = process.getuid?.() === 0;
	// As root the cluster runs as `postgres`, which may not be able to traverse the clone's path (CI clones
	// into a mode-700 mktemp directory): give it its own directory under the system temp dir instead.
	const dir = asPg
		? fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-protime-pg-'))
		: path.join(runDir, 'pg');
	if (asPg) process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
	const data = path.join(dir, 'data');
	fs.mkdirSync(dir, { recursive: true });
	if (asPg) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
	const runAs = (cmd, args) =>
		asPg ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
	const [c1, a1] = runAs(path.join(binDir, 'initdb'), [
		'-D',
		data,
		'-U',
		'n8n',
		'--auth=trust',
		'-E',
		'UTF8',
	]);
	execFileSync(c1, a1, { stdio: 'ignore' });
	const [c2, a2] = runAs(path.join(binDir, 'postgres'), [
		'-D',
		data,
		'-p',
		String(port),
		'-c',
		'listen_addresses=127.0.0.1',
		'-k',
		dir,
		'-c',
		'fsync=off',
	]);
	const proc = startProcess('postgres', c2, a2, {
		logFile: path.join(runDir, 'postgres.log'),
		cwd: dir,
	});
	await waitFor(
		'postgres',
		() => {
			if (proc.code !== undefined)
				throw new Error(`postgres exited: ${tail(path.join(runDir, 'postgres.log'))}`);
			try {
				execFileSync(path.join(binDir, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], {
					stdio: 'ignore',
				});
				return true;
			} catch {
				return false;
			}
		},
		{ timeoutMs: 30_000 },
	);
	execFileSync(path.join(binDir, 'createdb'), [
		'-h',
		'127.0.0.1',
		'-p',
		String(port),
		'-U',
		'n8n',
		'n8n',
	]);
	log(`postgres ready on 127.0.0.1:${port}`);
	return {
		port,
		proc,
		env: {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(port),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'n8n',
			DB_POSTGRESDB_PASSWORD: '',
		},
	};
}

/** Environment of every n8n process in queue mode: PostgreSQL, Redis, deliveries to the webhook processor only. */
export function queueModeEnv({ pg, redis, mainPort, webhookPort }) {
	return {
		...pg.env,
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		N8N_WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/`,
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${mainPort}/`,
		N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
		// As docs/queue-mode.md ("Fast executions") asks: n8n's default 0 loses the answer of an execution that
		// ends within milliseconds. E2E_QUEUE_KEEP_COMPLETED=0 runs n8n's default.
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: process.env.E2E_QUEUE_KEEP_COMPLETED ?? '100',
		N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: process.env.E2E_QUEUE_KEEP_COMPLETED ?? '100',
	};
}
