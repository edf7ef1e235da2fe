#!/usr/bin/env node
// Starts the Protime simulator as its own process (for the e2e harness, the demo and manual testing).
//   npm run simulator -- --port 4010 --demo
// Prints the origin and the demo client credentials, then a machine-readable `SIMULATOR_READY {json}` line.
import { parseArgs } from 'node:util';

import { ProtimeSimulator } from './index.ts';
import { seedDemoTenant, startTraffic } from './demoTenant.ts';

const HELP = `Protime simulator

Usage: npm run simulator -- [options]

  --port N                 port to listen on (default 4010; 0 = any free port)
  --host H                 interface (default 127.0.0.1)
  --tenant NAME            tenant name (default acme)
  --demo                   seed the demo tenant and start a steady stream of changes
  --traffic-ms N           with --demo: one change every N ms (default 3000; 0 = no traffic)
  --validity-seconds S     webhook validity, validUntil = creation + S (default 7 days)
  --token-seconds S        access token lifetime (default 1800)
  --retry-ms LIST          delivery retry waits, e.g. 1000,5000,30000
  --delivery-timeout-ms N  a delivery unanswered after N ms failed (Protime's timeout is undocumented; default 10000)
  --page-size N            records per list page (default 100)
  --https-only             reject http:// destination URLs like Protime (default: http allowed locally)
  --client-id ID --client-secret S   the demo client's credentials (default n8n-demo-client / demo-secret-change-me)
  --assumptions JSON       any other assumption, e.g. '{"signature":{"encoding":"hex"}}'
  --help
`;

const { values } = parseArgs({
	options: {
		port: { type: 'string', default: '4010' },
		host: { type: 'string', default: '127.0.0.1' },
		tenant: { type: 'string', default: 'acme' },
		demo: { type: 'boolean', default: false },
		'traffic-ms': { type: 'string', default: '3000' },
		'validity-seconds': { type: 'string' },
		'token-seconds': { type: 'string' },
		'retry-ms': { type: 'string' },
		'delivery-timeout-ms': { type: 'string' },
		'page-size': { type: 'string' },
		'https-only': { type: 'boolean', default: false },
		'client-id': { type: 'string' },
		'client-secret': { type: 'string' },
		assumptions: { type: 'string' },
		help: { type: 'boolean', default: false },
	},
});

if (values.help) {
	process.stdout.write(HELP);
	process.exit(0);
}

function number(name) {
	const raw = values[name];
	if (raw === undefined) return undefined;
	const n = Number(raw);
	if (!Number.isFinite(n) || n < 0) {
		process.stderr.write(`--${name} must be a non-negative number (got '${raw}')\n`);
		process.exit(2);
	}
	return n;
}

let assumptions = {};
if (values.assumptions) {
	try {
		assumptions = JSON.parse(values.assumptions);
	} catch (error) {
		process.stderr.write(`--assumptions must be JSON: ${error.message}\n`);
		process.exit(2);
	}
}
assumptions.allowHttpDestinations = !values['https-only'];
if (number('validity-seconds') !== undefined)
	assumptions.webhookValiditySeconds = number('validity-seconds');
if (number('token-seconds') !== undefined)
	assumptions.tokenLifetimeSeconds = number('token-seconds');
if (number('page-size') !== undefined) assumptions.pageSize = number('page-size');
if (number('delivery-timeout-ms') !== undefined)
	assumptions.deliveryTimeoutMs = number('delivery-timeout-ms');
if (values['retry-ms'] !== undefined)
	assumptions.retryScheduleMs = values['retry-ms'].split(',').filter(Boolean).map(Number);

const clients = [];
if (values['client-id'] || values['client-secret']) {
	const { ALL_SCOPES } = await import('./model.ts');
	clients.push({
		clientId: values['client-id'] ?? 'n8n-demo-client',
		clientSecret: values['client-secret'] ?? 'demo-secret-change-me',
		scopes: [...ALL_SCOPES],
	});
}

const sim = await ProtimeSimulator.start({
	port: number('port'),
	host: values.host,
	tenant: values.tenant,
	clients,
	assumptions,
});
const client = clients[0] ?? sim.defaultClient;
if (values.demo) {
	seedDemoTenant(sim);
	const everyMs = number('traffic-ms');
	if (everyMs) startTraffic(sim, { everyMs });
}

process.stdout.write(
	[
		`Protime simulator listening on ${sim.origin}`,
		`  tenant:        ${sim.tenant}`,
		`  token URL:     ${sim.tokenUrl}`,
		`  API base:      ${sim.apiBase}`,
		`  client ID:     ${client.clientId}`,
		`  client secret: ${client.clientSecret}`,
		`  control API:   ${sim.origin}/_sim (GET /_sim/health)`,
		`  demo tenant:   ${values.demo ? 'seeded' + (number('traffic-ms') ? `, one change every ${number('traffic-ms')} ms` : '') : 'no (use --demo)'}`,
		`In n8n: Protime API credential, Environment "Custom", Base URL ${sim.origin}, Tenant ${sim.tenant}.`,
		`SIMULATOR_READY ${JSON.stringify({ origin: sim.origin, tenant: sim.tenant, clientId: client.clientId, clientSecret: client.clientSecret })}`,
		'',
	].join('\n'),
);

let stopping = false;
async function shutdown() {
	if (stopping) return;
	stopping = true;
	await sim.stop();
	process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
