// A Protime simulator in its own process for the Get Many bench, seeded with N work interruptions over
// 2026 (so the candidates' memory is not mixed with the simulator's). Prints one JSON line
// {origin, tenant, clientId, clientSecret} on stdout when ready; stops on SIGTERM.
// Usage: node --import tsx test/bench/sim-server.mjs --records 100000 [--page-size 100]
import { parseArgs } from 'node:util';
import { ProtimeSimulator } from '../simulator/index.ts';

const { values } = parseArgs({
	options: {
		records: { type: 'string', default: '100000' },
		'page-size': { type: 'string', default: '100' },
	},
});
const records = Number(values.records);
const sim = await ProtimeSimulator.start({
	assumptions: { pageSize: Number(values['page-size']), allowHttpDestinations: true },
});
const start = Date.UTC(2026, 0, 1);
const batch = [];
for (let n = 0; n < records; n++) {
	const date = new Date(start + (n % 364) * 86_400_000).toISOString().slice(0, 10);
	batch.push({
		id: 1_000_000 + n,
		person: { id: 1001 + (n % 250) },
		date,
		durationInMinutes: 15 + (n % 90),
		startTimeInMinutes: 480 + (n % 300),
		endTimeInMinutes: 600 + (n % 300),
	});
	if (batch.length === 10_000) sim.seed('work-interruptions', batch.splice(0));
}
if (batch.length) sim.seed('work-interruptions', batch.splice(0));
process.stdout.write(
	`${JSON.stringify({ origin: sim.origin, tenant: sim.tenant, ...sim.defaultClient })}\n`,
);
const stop = async () => {
	await sim.stop();
	process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
