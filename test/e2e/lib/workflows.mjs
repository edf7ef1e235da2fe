// Workflow builders shared by the e2e scenarios, the demo and the shipped examples.
import { randomUUID } from 'node:crypto';
import { ACTION_TYPE, CREDENTIAL_TYPE, TRIGGER_TYPE } from './package.mjs';

function cred(credential) {
	return credential ? { [CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } } : undefined;
}

function node(name, type, typeVersion, position, parameters, extra = {}) {
	return { id: randomUUID(), name, type, typeVersion, position, parameters, ...extra };
}

export function protimeTriggerNode({ name = 'Protime Trigger', collectionName, credential, options = {}, events, externalReferences, position = [0, 0] }) {
	const parameters = { collectionName, options };
	if (events) parameters.events = events;
	if (externalReferences) {
		parameters.externalReferences = {
			reference: externalReferences.map(({ collection, reference }) => ({ reference: `${collection}|${reference}` })),
		};
	}
	return node(name, TRIGGER_TYPE, 2, position, parameters, { webhookId: randomUUID(), credentials: cred(credential) });
}

/** Trigger-only workflow (items are the trigger's output). */
export function triggerWorkflow({ name, collectionName, credential, options, events, externalReferences }) {
	return {
		name,
		nodes: [protimeTriggerNode({ collectionName, credential, options, events, externalReferences })],
		connections: {},
	};
}

const HOURS_CODE = `// Totals the work interruptions that arrived in this run per employee and day.
const totals = {};
for (const item of $input.all()) {
  if (item.json.changeType !== 'InsertOrUpdate') continue;
  const r = item.json.data; // simplified record: personEmployeeNumber, date, durationInMinutes, duration (H:MM) ...
  const employee = r.personEmployeeNumber ?? r.personId ?? 'unknown';
  const minutes = Number(r.durationInMinutes ?? 0);
  const key = employee + '|' + r.date;
  totals[key] ??= { employee: String(employee), date: r.date, interruptions: 0, minutes: 0 };
  totals[key].interruptions += 1;
  totals[key].minutes += minutes;
}
return Object.values(totals).map((t) => ({
  json: { ...t, hours: Math.round((t.minutes / 60) * 100) / 100, receivedAt: $now.toISO() },
}));`;

/**
 * The demo flow: Protime Trigger (work interruptions, employee numbers) → hours per employee per day
 * (Code) → CSV (Convert to File) → a file on disk (Read/Write Files).
 */
export function hoursCsvWorkflow({ credential, filesDir, checkInterval }) {
	const trigger = protimeTriggerNode({
		collectionName: 'work-interruptions',
		credential,
		externalReferences: [{ collection: 'people', reference: '@employee-number' }],
		events: ['insertOrUpdate'],
		options: { ...(checkInterval ? { checkInterval } : {}) },
	});
	return {
		name: 'Protime: work interruptions → hours per employee per day → CSV',
		nodes: [
			trigger,
			node('Hours per employee per day', 'n8n-nodes-base.code', 2, [260, 0], { jsCode: HOURS_CODE }),
			node('To CSV', 'n8n-nodes-base.convertToFile', 1.1, [520, 0], { operation: 'csv', options: { fileName: 'hours.csv' } }),
			node('Write CSV file', 'n8n-nodes-base.readWriteFile', 1, [780, 0], {
				operation: 'write',
				fileName: `=${filesDir}/hours-{{ $now.toFormat('yyyyLLdd-HHmmss') }}-{{ $execution.id }}.csv`,
				options: {},
			}),
		],
		connections: {
			[trigger.name]: { main: [[{ node: 'Hours per employee per day', type: 'main', index: 0 }]] },
			'Hours per employee per day': { main: [[{ node: 'To CSV', type: 'main', index: 0 }]] },
			'To CSV': { main: [[{ node: 'Write CSV file', type: 'main', index: 0 }]] },
		},
	};
}

/** A start node: Manual Trigger (examples) or a Webhook (e2e: the test can start it over HTTP). */
function startNode(kind, webhookPath) {
	if (kind === 'webhook') {
		return node('Start', 'n8n-nodes-base.webhook', 2, [0, 0], { httpMethod: 'POST', path: webhookPath, responseMode: 'lastNode', options: {} }, { webhookId: randomUUID() });
	}
	return node('Start', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {});
}

/** Initial sync: all work interruptions of a date range (Return All) → CSV file. */
export function workInterruptionsCsvWorkflow({ credential, filesDir, startDate, endDate, start = 'manual', webhookPath, fileName = 'work-interruptions.csv' }) {
	const s = startNode(start, webhookPath);
	return {
		name: 'Protime: work interruptions of a date range → CSV (initial sync)',
		nodes: [
			s,
			node('Get work interruptions', ACTION_TYPE, 1, [260, 0], {
				resource: 'workInterruption',
				operation: 'getAll',
				startDate,
				endDate,
				returnAll: true,
			}, { credentials: cred(credential) }),
			node('To CSV', 'n8n-nodes-base.convertToFile', 1.1, [520, 0], { operation: 'csv', options: { fileName } }),
			node('Write CSV file', 'n8n-nodes-base.readWriteFile', 1, [780, 0], { operation: 'write', fileName: `${filesDir}/${fileName}`, options: {} }),
		],
		connections: {
			Start: { main: [[{ node: 'Get work interruptions', type: 'main', index: 0 }]] },
			'Get work interruptions': { main: [[{ node: 'To CSV', type: 'main', index: 0 }]] },
			'To CSV': { main: [[{ node: 'Write CSV file', type: 'main', index: 0 }]] },
		},
	};
}

/** Create a webhook subscription, list subscriptions, delete the one created. */
export function webhookCrudWorkflow({ credential, destinationUrl, collection = 'absences', start = 'manual', webhookPath }) {
	const s = startNode(start, webhookPath);
	return {
		name: 'Protime: create, list and delete a webhook subscription',
		nodes: [
			s,
			node('Create webhook', ACTION_TYPE, 1, [260, 0], {
				resource: 'webhook',
				operation: 'create',
				collection,
				destinationUrl,
				options: {},
			}, { credentials: cred(credential) }),
			node('List webhooks', ACTION_TYPE, 1, [520, 0], {
				resource: 'webhook',
				operation: 'getAll',
				returnAll: true,
				filters: { collection },
			}, { credentials: cred(credential), executeOnce: true }),
			node('Delete webhook', ACTION_TYPE, 1, [780, 0], {
				resource: 'webhook',
				operation: 'delete',
				webhookId: "={{ $('Create webhook').item.json.id }}",
			}, { credentials: cred(credential) }),
		],
		connections: {
			Start: { main: [[{ node: 'Create webhook', type: 'main', index: 0 }]] },
			'Create webhook': { main: [[{ node: 'List webhooks', type: 'main', index: 0 }]] },
			'List webhooks': { main: [[{ node: 'Delete webhook', type: 'main', index: 0 }]] },
		},
	};
}

/** A workflow as a user imports it: credentials replaced by a named placeholder. */
export function asExample(wf) {
	return {
		name: wf.name,
		nodes: wf.nodes.map((n) => {
			const copy = { ...n };
			delete copy.credentials; // chosen by the user after import
			return copy;
		}),
		connections: wf.connections,
		settings: { executionOrder: 'v1' },
		pinData: {},
		meta: { templateCredsSetupCompleted: false },
	};
}
