// Get Many over N records: the Protime node (Return All) against a plain paginated axios loop, each run in
// its own child process (getmany-child.mjs) so peak memory is measured per candidate; the simulator runs in
// a third process (sim-server.mjs). Rounds alternate the order of the candidates.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { medians } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function runNode(script, args) {
	// --expose-gc lets a candidate start from a collected heap (getmany-child.mjs); the simulator ignores it.
	const child = spawn(
		process.execPath,
		['--expose-gc', '--import', 'tsx', path.join(here, script), ...args],
		{
			stdio: ['ignore', 'pipe', 'inherit'],
			env: { ...process.env, NODE_OPTIONS: '' },
		},
	);
	let out = '';
	child.stdout.on('data', (d) => {
		out += d.toString();
	});
	const firstLine = new Promise((resolve, reject) => {
		child.stdout.on('data', () => {
			const nl = out.indexOf('\n');
			if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
		});
		child.on('exit', (code) =>
			reject(new Error(`${script} exited with ${code} before printing a result`)),
		);
	});
	return { child, firstLine };
}

export async function benchGetMany({ quick }) {
	const records = quick ? 20_000 : 100_000;
	const rounds = quick ? 2 : 3;
	const sim = runNode('sim-server.mjs', ['--records', String(records)]);
	try {
		const info = await sim.firstLine;
		const args = [
			'--origin',
			info.origin,
			'--tenant',
			info.tenant,
			'--client-id',
			info.clientId,
			'--client-secret',
			info.clientSecret,
		];
		const runs = { protime: [], axios: [], helpers: [] };
		// One unmeasured run warms the simulator (JIT, filter caches) before the measured rounds.
		await runNode('getmany-child.mjs', ['--candidate', 'axios', ...args]).firstLine;
		for (let r = 0; r < rounds; r++) {
			const order = r % 2 === 0 ? ['protime', 'axios', 'helpers'] : ['helpers', 'axios', 'protime'];
			for (const c of order) {
				process.stderr.write(`[bench] get many: round ${r + 1}/${rounds} ${c} ...\n`);
				const res = await runNode('getmany-child.mjs', ['--candidate', c, ...args]).firstLine;
				if (res.records !== records || res.distinct !== records) {
					throw new Error(
						`${c} returned ${res.records} records (${res.distinct} distinct), expected ${records}`,
					);
				}
				runs[c].push(res);
			}
		}
		const summary = (list) =>
			medians(list, {
				recordsPerSecond: (x) => x.recordsPerSecond,
				rssGrowth: (x) => x.peakRss - x.rssBefore,
				heapGrowth: (x) => x.peakHeap - x.heapBefore,
				maxRss: (x) => x.maxRss,
				retainedGrowth: (x) => x.retained - x.heapBefore,
			});
		const protime = summary(runs.protime);
		const axios = summary(runs.axios);
		const helpers = summary(runs.helpers);
		return {
			helpers,
			helpersMemoryRatio: protime.rssGrowth / helpers.rssGrowth,
			records,
			rounds,
			protime,
			axios,
			speedRatio: protime.recordsPerSecond / axios.recordsPerSecond,
			memoryRatio: protime.rssGrowth / axios.rssGrowth,
		};
	} finally {
		sim.child.kill('SIGTERM');
	}
}
