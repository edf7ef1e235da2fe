// Workflow builders shared by the e2e scenarios, the demo and the shipped examples.
import { randomUUID } from 'node:crypto';
import { ACTION_TYPE, CREDENTIAL_TYPE, TRIGGER_TYPE } from './package.mjs';

function cred(credential) {
	return credential
		? { [CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } }
		: undefined;
}

function node(name, type, typeVersion, position, parameters, extra = {}) {
	return { id: randomUUID(), name, type, typeVersion, position, parameters, ...extra };
}

export function protimeTriggerNode({
	name = 'Protime Trigger',
	collectionName,
	credential,
	options = {},
	events,
	externalReferences,
	position = [0, 0],
}) {
	const parameters = { collectionName, options };
	if (events) parameters.events = events;
	if (externalReferences) {
		parameters.externalReferences = {
			reference: externalReferences.map(({ collection, reference }) => ({
				reference: `${collection}|${reference}`,
			})),
		};
	}
	return node(name, TRIGGER_TYPE, 2, position, parameters, {
		webhookId: randomUUID(),
		credentials: cred(credential),
	});
}

/** Trigger-only workflow (items are the trigger's output). */
export function triggerWorkflow({
	name,
	collectionName,
	credential,
	options,
	events,
	externalReferences,
}) {
	return {
		name,
		nodes: [
			protimeTriggerNode({ collectionName, credential, options, events, externalReferences }),
		],
		connections: {},
	};
}

/** Trigger → one step: a Code node (`code`, run once for all items) or a Wait node (`waitSeconds`). */
export function triggerStepWorkflow({
	name,
	collectionName,
	credential,
	options,
	code,
	waitSeconds,
}) {
	const step =
		code !== undefined
			? node('Step', 'n8n-nodes-base.code', 2, [260, 0], { jsCode: code })
			: node('Step', 'n8n-nodes-base.wait', 1.1, [260, 0], {
					amount: waitSeconds,
					unit: 'seconds',
				});
	return {
		name,
		nodes: [protimeTriggerNode({ collectionName, credential, options }), step],
		connections: {
			'Protime Trigger': { main: [[{ node: 'Step', type: 'main', index: 0 }]] },
		},
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
			node('Hours per employee per day', 'n8n-nodes-base.code', 2, [260, 0], {
				jsCode: HOURS_CODE,
			}),
			node('To CSV', 'n8n-nodes-base.convertToFile', 1.1, [520, 0], {
				operation: 'csv',
				options: { fileName: 'hours.csv' },
			}),
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
		return node(
			'Start',
			'n8n-nodes-base.webhook',
			2,
			[0, 0],
			{ httpMethod: 'POST', path: webhookPath, responseMode: 'lastNode', options: {} },
			{ webhookId: randomUUID() },
		);
	}
	return node('Start', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {});
}

/** Initial sync: all work interruptions of a date range (Return All) → CSV file. */
export function workInterruptionsCsvWorkflow({
	credential,
	filesDir,
	startDate,
	endDate,
	start = 'manual',
	webhookPath,
	fileName = 'work-interruptions.csv',
}) {
	const s = startNode(start, webhookPath);
	return {
		name: 'Protime: work interruptions of a date range → CSV (initial sync)',
		nodes: [
			s,
			node(
				'Get work interruptions',
				ACTION_TYPE,
				1,
				[260, 0],
				{
					resource: 'workInterruption',
					operation: 'getAll',
					startDate,
					endDate,
					returnAll: true,
				},
				{ credentials: cred(credential) },
			),
			node('To CSV', 'n8n-nodes-base.convertToFile', 1.1, [520, 0], {
				operation: 'csv',
				options: { fileName },
			}),
			node('Write CSV file', 'n8n-nodes-base.readWriteFile', 1, [780, 0], {
				operation: 'write',
				fileName: `${filesDir}/${fileName}`,
				options: {},
			}),
		],
		connections: {
			Start: { main: [[{ node: 'Get work interruptions', type: 'main', index: 0 }]] },
			'Get work interruptions': { main: [[{ node: 'To CSV', type: 'main', index: 0 }]] },
			'To CSV': { main: [[{ node: 'Write CSV file', type: 'main', index: 0 }]] },
		},
	};
}

/** Create a webhook subscription, list subscriptions, delete the one created. */
export function webhookCrudWorkflow({
	credential,
	destinationUrl,
	collection = 'absences',
	start = 'manual',
	webhookPath,
}) {
	const s = startNode(start, webhookPath);
	return {
		name: 'Protime: create, list and delete a webhook subscription',
		nodes: [
			s,
			node(
				'Create webhook',
				ACTION_TYPE,
				1,
				[260, 0],
				{
					resource: 'webhook',
					operation: 'create',
					collection,
					destinationUrl,
					options: {},
				},
				{ credentials: cred(credential) },
			),
			node(
				'List webhooks',
				ACTION_TYPE,
				1,
				[520, 0],
				{
					resource: 'webhook',
					operation: 'getAll',
					returnAll: true,
					filters: { collection },
				},
				{ credentials: cred(credential), executeOnce: true },
			),
			node(
				'Delete webhook',
				ACTION_TYPE,
				1,
				[780, 0],
				{
					resource: 'webhook',
					operation: 'delete',
					webhookId: "={{ $('Create webhook').item.json.id }}",
				},
				{ credentials: cred(credential) },
			),
		],
		connections: {
			Start: { main: [[{ node: 'Create webhook', type: 'main', index: 0 }]] },
			'Create webhook': { main: [[{ node: 'List webhooks', type: 'main', index: 0 }]] },
			'List webhooks': { main: [[{ node: 'Delete webhook', type: 'main', index: 0 }]] },
		},
	};
}

/** A sticky note on the canvas (n8n's Sticky Note node): `content` is Markdown. */
export function stickyNote(name, position, content, { width = 420, height = 300, color = 1 } = {}) {
	return node(name, 'n8n-nodes-base.stickyNote', 1, position, { content, height, width, color });
}

/**
 * A workflow as a user imports it: no credentials (chosen by the user after import) and no webhookId (n8n's
 * editor gives each imported webhook node a new one, so two imports never share a webhook path).
 */
export function asExample(wf) {
	return {
		name: wf.name,
		nodes: wf.nodes.map((n) => {
			const copy = { ...n };
			delete copy.credentials;
			delete copy.webhookId;
			return copy;
		}),
		connections: wf.connections,
		settings: { executionOrder: 'v1' },
		pinData: {},
		meta: { templateCredsSetupCompleted: false },
	};
}

/**
 * An example file as n8n's editor imports it (Import from File): every node of a type with webhooks and no
 * webhookId gets a new one, as the editor does when it adds a node (the shipped examples carry none). `webhookTypes`:
 * the names of the node types that declare webhooks; `credentials`: credential type → {id, name}, set on every node
 * whose type is named in `credentialFor` (node type → credential type).
 */
export function importAsEditor(def, { webhookTypes, credentials = {}, credentialFor = {} }) {
	return {
		name: def.name,
		nodes: def.nodes.map((n) => {
			const copy = structuredClone(n);
			copy.id = randomUUID();
			if (webhookTypes.has(n.type) && !n.webhookId) copy.webhookId = randomUUID();
			const credType = credentialFor[n.type];
			if (credType && credentials[credType])
				copy.credentials = {
					[credType]: { id: credentials[credType].id, name: credentials[credType].name },
				};
			return copy;
		}),
		connections: def.connections,
		settings: def.settings ?? {},
		pinData: def.pinData ?? {},
	};
}

/**
 * The tables the sync pattern keeps, per collection: column → the simplified record's field (trigger items
 * carry the record in `data`, Get Many items are the record itself, both simplified alike).
 */
export const SYNC_TABLES = {
	'work-interruptions': {
		table: 'work_interruptions',
		resource: 'workInterruption',
		plural: 'work interruptions',
		dateRange: true,
		references: [{ collection: 'people', reference: '@employee-number' }],
		columns: {
			id: ['bigint primary key', 'id'],
			change_version: ['text not null', 'changeVersion'],
			person_id: ['bigint', 'personId'],
			employee_number: ['text', 'personEmployeeNumber'],
			date: ['text', 'date'],
			start_time_in_minutes: ['integer', 'startTimeInMinutes'],
			end_time_in_minutes: ['integer', 'endTimeInMinutes'],
			duration_in_minutes: ['integer', 'durationInMinutes'],
		},
	},
	'counter-definitions': {
		table: 'counter_definitions',
		resource: 'counterDefinition',
		plural: 'counter definitions',
		dateRange: false,
		references: [{ collection: 'counter-definitions', reference: '@counter-code' }],
		columns: {
			id: ['bigint primary key', 'id'],
			change_version: ['text not null', 'changeVersion'],
			code: ['text', 'code'],
			name: ['text', 'name'],
			is_enabled: ['boolean', 'isEnabled'],
			counter_group_id: ['bigint', 'counterGroupId'],
			unit: ['text', 'unit'],
			counter_code: ['text', 'counterCode'],
		},
	},
};

/** `CREATE TABLE` for a sync table. */
export function syncTableDdl(collection) {
	const spec = SYNC_TABLES[collection];
	const cols = Object.entries(spec.columns).map(([c, [type]]) => `${c} ${type}`);
	return `CREATE TABLE IF NOT EXISTS ${spec.table} (${cols.join(', ')});`;
}

/** A JS expression mapping the simplified record `r` to a table row (undefined fields become null). */
function rowExpression(collection, r) {
	const fields = Object.entries(SYNC_TABLES[collection].columns).map(
		([c, [, f]]) => `${c}: ${r}.${f} ?? null`,
	);
	return `({ ${fields.join(', ')} })`;
}

/**
 * Keeps a table equal to a Protime collection, within a date window for the dated collections: Protime
 * Trigger → Switch on changeType; Insert or Update → upsert the row by id; Delete → delete the row (a missing
 * row is fine); ResyncRequired (or the Initial sync by hand) → Sync window → Get Many of that window (Return
 * All) → upsert them, and delete the rows of that window that Get Many no longer returned. Rows dated outside
 * the window are never deleted by a resync. `target`: `postgres` or `dataTable` (n8n's built-in Data Table).
 */
export function syncTableWorkflow({
	collection,
	credential,
	target = 'postgres',
	postgresCredential,
	dataTable,
	startDate,
	endDate,
	options = {},
}) {
	const spec = SYNC_TABLES[collection];
	const trigger = protimeTriggerNode({
		collectionName: collection,
		credential,
		externalReferences: spec.references,
		options,
		position: [0, 0],
	});
	const rule = (value, i) => ({
		conditions: {
			options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
			conditions: [
				{
					id: `rule-${i}`,
					leftValue: '={{ $json.changeType }}',
					rightValue: value,
					operator: { type: 'string', operation: 'equals' },
				},
			],
			combinator: 'and',
		},
		renameOutput: true,
		outputKey: value,
	});
	const switchNode = node('Change type', 'n8n-nodes-base.switch', 3.2, [240, 0], {
		rules: { values: ['InsertOrUpdate', 'Delete', 'ResyncRequired'].map(rule) },
		options: {},
	});
	// the first fill, by hand (the trigger keeps the table from then on)
	const initial = node('Initial sync', 'n8n-nodes-base.manualTrigger', 1, [0, 400], {});
	// the one setting of the window: Get Many reads it, and the resync deletes only inside it
	const win = spec.dateRange
		? node(
				SYNC_WINDOW,
				'n8n-nodes-base.set',
				3.4,
				[500, 400],
				{
					assignments: {
						assignments: [
							{ id: 'window-start', name: 'startDate', value: startDate, type: 'string' },
							{ id: 'window-end', name: 'endDate', value: endDate, type: 'string' },
						],
					},
					options: {},
				},
				{ executeOnce: true },
			)
		: undefined;
	const getAll = node(
		`Get all ${spec.plural}`,
		ACTION_TYPE,
		1,
		[760, 400],
		{
			resource: spec.resource,
			operation: 'getAll',
			...(spec.dateRange
				? {
						startDate: `={{ $('${SYNC_WINDOW}').first().json.startDate }}`,
						endDate: `={{ $('${SYNC_WINDOW}').first().json.endDate }}`,
					}
				: {}),
			returnAll: true,
			externalReferences: {
				reference: spec.references.map(({ collection: c, reference }) => ({
					reference: `${c}|${reference}`,
				})),
			},
		},
		{ credentials: cred(credential), executeOnce: true },
	);
	const writers =
		target === 'postgres'
			? postgresWriters(collection, postgresCredential)
			: dataTableWriters(collection, dataTable);
	const [upsert, remove, ...replace] = writers;
	const link = (a, b) => ({ [a.name]: { main: [[{ node: b.name, type: 'main', index: 0 }]] } });
	const chain = replace.slice(1).reduce((acc, n, i) => ({ ...acc, ...link(replace[i], n) }), {});
	const resyncStart = win ?? getAll;
	return {
		name: `Protime: keep a ${target === 'postgres' ? 'PostgreSQL table' : 'Data Table'} in sync with ${spec.plural}`,
		nodes: [
			trigger,
			switchNode,
			upsert,
			remove,
			initial,
			...(win ? [win] : []),
			getAll,
			...replace,
		],
		connections: {
			[trigger.name]: { main: [[{ node: switchNode.name, type: 'main', index: 0 }]] },
			[switchNode.name]: {
				main: [
					[{ node: upsert.name, type: 'main', index: 0 }],
					[{ node: remove.name, type: 'main', index: 0 }],
					[{ node: resyncStart.name, type: 'main', index: 0 }],
				],
			},
			...link(initial, resyncStart),
			...(win ? link(win, getAll) : {}),
			...link(getAll, replace[0]),
			...chain,
		},
		settings: { executionOrder: 'v1' },
		trigger,
	};
}

/** The name of the node that holds the sync window (startDate, endDate). */
export const SYNC_WINDOW = 'Sync window';

/** The setup steps of a sync example, as sticky notes. */
export function syncNotes(collection, target) {
	const spec = SYNC_TABLES[collection];
	const table =
		target === 'postgres'
			? `Create the table once (PostgreSQL):\n\n\`\`\`sql\n${syncTableDdl(collection)}\n\`\`\``
			: `Create a Data Table named **Protime work interruptions** (Overview → Data tables) with these columns: ${dataTableColumns(
					collection,
				)
					.map((c) => `\`${c.name}\` (${c.type})`)
					.join(', ')}. Then pick it in every Data Table node.`;
	return [
		stickyNote(
			'Setup',
			[-420, -260],
			[
				'## Setup (about 10 minutes)',
				`1. ${table}`,
				`2. Pick your **Protime API** credential in the Protime Trigger and in **Get all ${spec.plural}**${target === 'postgres' ? ', and your PostgreSQL credential in the three Postgres nodes' : ''}.`,
				'3. Run the initial sync **once**: at the bottom of the canvas, click the **⌄** arrow on the *Execute workflow* button, choose **Initial sync**, then click **Execute workflow from Initial sync**. (*from Protime Trigger* only waits for one test change from Protime.)',
				'4. **Publish** the workflow. From then on every change in Protime updates the table.',
			].join('\n'),
			{ width: 400, height: 460, color: 4 },
		),
		...(spec.dateRange
			? [
					stickyNote(
						'About the window',
						[420, 600],
						[
							'## The table holds this window',
							`**Sync window** sets the dates the initial sync and every resync read (default: the last 30 days to tomorrow). A resync deletes only rows **inside** this window that Protime no longer has; older rows stay.`,
							'Protime reads at most one year at a time.',
						].join('\n\n'),
						{ width: 420, height: 240, color: 5 },
					),
				]
			: []),
	];
}

/** Upsert (newer changeVersion wins), delete, and replace in one statement, through n8n's Postgres node. */
function postgresWriters(collection, postgresCredential) {
	const { table, columns, dateRange } = SYNC_TABLES[collection];
	const names = Object.keys(columns);
	const set = names
		.filter((c) => c !== 'id')
		.map((c) => `${c} = EXCLUDED.${c}`)
		.join(', ');
	const upsertSql = (from) =>
		`INSERT INTO ${table} SELECT * FROM ${from}\nON CONFLICT (id) DO UPDATE SET ${set}\nWHERE ${table}.change_version < EXCLUDED.change_version`;
	const credentials = postgresCredential
		? { postgres: { id: postgresCredential.id, name: postgresCredential.name } }
		: undefined;
	const pg = (name, position, query, replacement, extra = {}) =>
		node(
			name,
			'n8n-nodes-base.postgres',
			2.6,
			position,
			{ operation: 'executeQuery', query, options: { queryReplacement: replacement } },
			{ credentials, ...extra },
		);
	return [
		pg(
			'Upsert row',
			[500, -220],
			upsertSql(`jsonb_populate_recordset(NULL::${table}, $1::jsonb)`),
			`={{ [JSON.stringify([${rowExpression(collection, '$json.data')}])] }}`,
		),
		pg('Delete row', [500, 0], `DELETE FROM ${table} WHERE id = $1`, '={{ [$json.id] }}'),
		dateRange
			? pg(
					'Replace rows of the window',
					[1020, 400],
					`WITH incoming AS (SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)),\ngone AS (DELETE FROM ${table} WHERE date >= $2 AND date <= $3 AND id NOT IN (SELECT id FROM incoming))\n${upsertSql('incoming')}`,
					`={{ [JSON.stringify($input.all().map((item) => ${rowExpression(collection, 'item.json')})), $('${SYNC_WINDOW}').first().json.startDate, $('${SYNC_WINDOW}').first().json.endDate] }}`,
					{ executeOnce: true },
				)
			: pg(
					'Replace all rows',
					[1020, 400],
					`WITH incoming AS (SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)),\ngone AS (DELETE FROM ${table} WHERE id NOT IN (SELECT id FROM incoming))\n${upsertSql('incoming')}`,
					`={{ [JSON.stringify($input.all().map((item) => ${rowExpression(collection, 'item.json')}))] }}`,
					{ executeOnce: true },
				),
	];
}

/** Columns of the Data Table for a collection (n8n's types: string, number, boolean). */
export function dataTableColumns(collection) {
	const type = (sql) =>
		/int|bigint/.test(sql) ? 'number' : /boolean/.test(sql) ? 'boolean' : 'string';
	return Object.entries(SYNC_TABLES[collection].columns).map(([c, [sql]]) =>
		c === 'id' ? { name: 'protimeId', type: 'string' } : { name: camel(c), type: type(sql) },
	);
}

/** The same with n8n's Data Table (its own `id` column is the row number, so the Protime id is `protimeId`). */
function dataTableWriters(
	collection,
	dataTable = { mode: 'name', value: 'Protime work interruptions' },
) {
	const { columns, dateRange } = SYNC_TABLES[collection];
	const byProtimeId = (value) => ({
		matchType: 'allConditions',
		filters: { conditions: [{ keyName: 'protimeId', condition: 'eq', keyValue: value }] },
	});
	// the Protime id as text: the filter compares it as written, whatever the number formatting
	const values = (r) =>
		Object.fromEntries(
			Object.entries(columns).map(([c, [, f]]) =>
				c === 'id'
					? ['protimeId', `={{ String(${r}.id) }}`]
					: [camel(c), `={{ ${r}.${f} ?? null }}`],
			),
		);
	const columnsParam = (r) => ({
		mappingMode: 'defineBelow',
		value: values(r),
		matchingColumns: [],
		schema: [],
	});
	const dt = (name, position, parameters, extra = {}) =>
		node(
			name,
			'n8n-nodes-base.dataTable',
			1.1,
			position,
			{ dataTableId: { __rl: true, ...dataTable }, ...parameters },
			extra,
		);
	return [
		dt('Upsert row', [500, -220], {
			resource: 'row',
			operation: 'upsert',
			...byProtimeId('={{ String($json.id) }}'),
			columns: columnsParam('$json.data'),
		}),
		dt('Delete row', [500, 0], {
			resource: 'row',
			operation: 'deleteRows',
			...byProtimeId('={{ String($json.id) }}'),
		}),
		dt('Upsert all rows', [1020, 400], {
			resource: 'row',
			operation: 'upsert',
			...byProtimeId('={{ String($json.id) }}'),
			columns: columnsParam('$json'),
		}),
		node(
			'Ids Protime has',
			'n8n-nodes-base.code',
			2,
			[1280, 400],
			{
				jsCode: `// One item with the ids Get Many returned, for the next step.\nreturn [{ json: { ids: $('Get all ${SYNC_TABLES[collection].plural}').all().map((i) => String(i.json.id)) } }];`,
			},
			{ executeOnce: true },
		),
		dateRange
			? dt(
					'Rows of the window',
					[1540, 400],
					{
						resource: 'row',
						operation: 'get',
						returnAll: true,
						matchType: 'allConditions',
						filters: {
							conditions: [
								{
									keyName: 'date',
									condition: 'gte',
									keyValue: `={{ $('${SYNC_WINDOW}').first().json.startDate }}`,
								},
								{
									keyName: 'date',
									condition: 'lte',
									keyValue: `={{ $('${SYNC_WINDOW}').first().json.endDate }}`,
								},
							],
						},
					},
					{ executeOnce: true },
				)
			: dt(
					'Rows in the table',
					[1540, 400],
					{
						resource: 'row',
						operation: 'get',
						returnAll: true,
						matchType: 'allConditions',
						filters: {},
					},
					{ executeOnce: true },
				),
		node('Only rows Protime no longer has', 'n8n-nodes-base.filter', 2.2, [1800, 400], {
			conditions: {
				options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
				conditions: [
					{
						id: 'gone',
						leftValue: "={{ $('Ids Protime has').first().json.ids.includes($json.protimeId) }}",
						rightValue: '',
						operator: { type: 'boolean', operation: 'false', singleValue: true },
					},
				],
				combinator: 'and',
			},
			options: {},
		}),
		dt('Delete rows Protime no longer has', [2060, 400], {
			resource: 'row',
			operation: 'deleteRows',
			...byProtimeId('={{ $json.protimeId }}'),
		}),
	];
}

function camel(snake) {
	return snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}
