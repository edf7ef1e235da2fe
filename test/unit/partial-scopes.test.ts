/**
 * A client Protime granted only the webhook scopes and one collection (the usual case), with the credential at
 * its defaults: a token is issued, the trigger subscribes, Get Many reads that collection, and another
 * collection fails naming the scope to ask Protime for. The same runs in a real n8n in test/e2e/lib/scopes.mjs.
 */
import { ProtimeTrigger } from '../../nodes/ProtimeTrigger/ProtimeTrigger.node';
import { ProtimeSimulator } from '../simulator';
import { ActionHarness } from './action-helpers';
import { ProtimeTestbed } from '../support/context';

const CLIENT = { clientId: 'wi-only', clientSecret: 'wi-secret' };
const GRANTED = [
	'connector-protimeapi-webhooks.read',
	'connector-protimeapi-webhooks.write',
	'connector-protimeapi-work-interruptions.read',
];
const NODE = {
	name: 'Protime Trigger',
	type: 'n8n-nodes-protime.protimeTrigger',
	webhookId: 'wh-scopes',
};

let h: ActionHarness;
let sim: ProtimeSimulator;
const defaults = () =>
	new ProtimeTestbed({
		simulatorOrigin: sim.origin,
		clientId: CLIENT.clientId,
		clientSecret: CLIENT.clientSecret,
		node: NODE,
	});

beforeAll(async () => {
	h = new ActionHarness(
		await ProtimeSimulator.start({
			assumptions: { allowHttpDestinations: true },
			clients: [{ ...CLIENT, scopes: GRANTED }],
		}),
	);
	sim = h.sim;
	sim.seed('work-interruptions', [
		{ id: 700, date: '2026-01-10' },
		{ id: 701, date: '2026-01-11' },
	]);
});
afterAll(async () => await h.stop());

const getMany = (resource: string) => ({
	resource,
	operation: 'getAll',
	returnAll: true,
	simplify: false,
	startDate: '2026-01-01T00:00:00',
	endDate: '2026-01-31T00:00:00',
});

it('the trigger subscribes with a token requested without scope', async () => {
	const trigger = new ProtimeTrigger();
	const { created } = await defaults().activate(trigger, {
		parameters: {
			collectionName: 'work-interruptions',
			events: ['insertOrUpdate', 'delete'],
			externalReferences: {},
			options: {},
		},
		node: NODE,
		webhookUrl: 'http://127.0.0.1:9/webhook/wh-scopes/webhook',
		mode: 'trigger',
		activationMode: 'activate',
		instanceBaseUrl: 'http://127.0.0.1:9/',
	});
	expect(created).toBe(true);
	expect(
		sim.webhooks().filter((w) => !w.deleted && w.collectionName === 'work-interruptions'),
	).toHaveLength(1);
	const asked = sim.tokenRequests().filter((t) => t.clientId === CLIENT.clientId);
	expect(asked.length).toBeGreaterThan(0);
	expect(asked.every((t) => t.scope === undefined)).toBe(true);
});

it('Get Many reads the granted collection, and names the scope of one not granted', async () => {
	const bed = defaults();
	expect(
		(await h.run(getMany('workInterruption'), { testbed: bed })).map((i) => i.json.id),
	).toEqual([700, 701]);
	const error = await h.fail(getMany('clocking'), { testbed: bed });
	expect(error.message).toBe(
		'The Protime credential lacks the scope connector-protimeapi-clockings.read',
	);
	expect(String(error.description)).toContain(
		'Ask Protime to grant connector-protimeapi-clockings.read to client ID "wi-only"',
	);
});
