/** The parameters of the Protime Trigger. */
import type { INodeProperties, TriggerPanelDefinition } from 'n8n-workflow';

import { COLLECTIONS } from '../shared/catalogue';
import { externalReferencesParameter } from '../shared/referenceParameter';
import { simplifyOptionFields, simplifyParameter } from '../shared/simplifyParameter';

export const CHECK_INTERVALS = [1, 2, 5, 10, 15, 30, 60] as const;
export const DEFAULT_CHECK_INTERVAL = 10;
export const DEFAULT_RENEWAL_MARGIN = 60;
export const DEFAULT_BATCH_WINDOW = 5;
export const MAX_BATCH_WINDOW = 300;
export const DEFAULT_BATCH_MAX_CHANGES = 100;
export const MAX_BATCH_MAX_CHANGES = 1000;
export const DEFAULT_BATCH_MAX_FAILURES = 10;
export const MAX_BATCH_MAX_FAILURES = 1000;

const SAMPLE_TIP =
	"To build the next steps before a change arrives, a Protime node with this collection and Get Many (same Simplify options) returns records shaped like the <code>data</code> of an item here, and its fields show in the next node's input even before it runs.";

/** The texts of the editor's trigger panel (Listen for test event, and when the workflow runs). */
export const triggerPanel: TriggerPanelDefinition = {
	header: 'Pull in changes from Protime',
	executionsHelp: {
		inactive:
			"<b>While building your workflow</b>, click 'Execute step': the node subscribes this n8n's test URL to the chosen collection in Protime (Protime must reach it over public HTTPS). Then create, change or delete a record of that collection in Protime. The change arrives here as one item: <code>changeType</code>, <code>collectionName</code>, <code>id</code>, <code>changeVersion</code> and the record under <code>data</code>. The test subscription is deleted when listening stops.<br /> <br /> <b>Once you're happy with your workflow</b>, publish it. The node then keeps its own Protime subscription, renews it before it expires, and every matching change starts an execution. These executions show up in the <a data-key=\"executions\">executions list</a>, but not in the editor.",
		active:
			'<b>While building your workflow</b>, click \'Execute step\', then create, change or delete a record of the chosen collection in Protime: the change arrives here through a separate test subscription, which is deleted when listening stops.<br /> <br /> <b>Your workflow also runs automatically</b>, since it is published: every matching change in Protime starts an execution, and the node renews its Protime subscription before it expires. These executions show up in the <a data-key="executions">executions list</a>, but not in the editor.',
	},
	activationHint: {
		inactive: `Once you've finished building your workflow, publish it to receive every change continuously (you just won't see those executions here). ${SAMPLE_TIP}`,
		active: `This node also starts the workflow on every matching change in Protime (those executions won't show up here). If Protime ever stopped sending changes to this workflow (for example while n8n was down too long), the next item has the change type <code>ResyncRequired</code>: changes may be missing, so read the whole collection again with the Protime node's Get Many. ${SAMPLE_TIP}`,
	},
};

export const triggerProperties: INodeProperties[] = [
	{
		displayName: 'Collection',
		name: 'collectionName',
		type: 'options',
		options: COLLECTIONS.map((c) => ({ name: c.displayName, value: c.name })),
		default: 'clockings',
		required: true,
		description: 'The Protime collection whose changes start this workflow',
	},
	{
		displayName: 'Trigger On',
		name: 'events',
		type: 'multiOptions',
		options: [
			{
				name: 'Delete',
				value: 'delete',
				description: 'A record was deleted (only its ID and change version are sent)',
			},
			{
				name: 'Insert or Update',
				value: 'insertOrUpdate',
				description: 'A record was created or changed',
			},
		],
		default: ['insertOrUpdate', 'delete'],
		required: true,
		description:
			'Which changes start the workflow; Protime is answered for the other changes, and they are skipped',
	},
	externalReferencesParameter({
		loadOptionsMethod: 'getTriggerReferenceOptions',
		dependsOn: ['collectionName'],
		description:
			'Identifiers from your own systems that Protime adds to the records, e.g. the employee number of the person. Changing them replaces the subscription.',
	}),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Batch Changes',
				name: 'batchChanges',
				type: 'boolean',
				default: false,
				description:
					'Whether changes that arrive close together start one execution instead of one each. Protime is answered once n8n has saved the changes; their execution starts within the batch window and is retried until it succeeds, or until Max Failed Executions per Batch is reached.',
			},
			{
				displayName: 'Batch Window (Seconds)',
				name: 'batchWindow',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_BATCH_WINDOW },
				default: DEFAULT_BATCH_WINDOW,
				description:
					'How long the first change of a batch waits for more before the execution starts',
				displayOptions: { show: { batchChanges: [true] } },
			},
			{
				displayName: 'Ignore Older Versions of a Record',
				name: 'dropStale',
				type: 'boolean',
				default: true,
				description:
					'Whether to skip a change that is older than a change this workflow already received for the same record (Protime may send changes out of order). With Respond to Protime set to Immediately, or with Batch Changes, a change Protime sends a second time is skipped too.',
			},
			{
				displayName: 'Include Subscription Info',
				name: 'includeSubscriptionInfo',
				type: 'boolean',
				default: false,
				description:
					"Whether to add the ID and expiry time of this workflow's Protime subscription to every item, under _subscription",
			},
			{
				displayName: 'Max Changes per Execution',
				name: 'batchMaxChanges',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_BATCH_MAX_CHANGES },
				default: DEFAULT_BATCH_MAX_CHANGES,
				description:
					'A batch that reaches this many changes starts its execution at once, without waiting for the window',
				displayOptions: { show: { batchChanges: [true] } },
			},
			{
				displayName: 'Max Failed Executions per Batch',
				name: 'batchMaxFailures',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_BATCH_MAX_FAILURES },
				default: DEFAULT_BATCH_MAX_FAILURES,
				description:
					'A batch whose execution failed this many times (it is run again after a growing pause) is set aside, so that newer changes go on. The failed executions stay in the executions list, and a ResyncRequired item lists the changes set aside.',
				displayOptions: { show: { batchChanges: [true] } },
			},
			{
				displayName: 'Renew Before Expiry (Minutes)',
				name: 'renewalMargin',
				type: 'number',
				typeOptions: { minValue: 2, maxValue: 10080 },
				default: DEFAULT_RENEWAL_MARGIN,
				description:
					"Renew this workflow's Protime subscription when it expires within this many minutes (at most half of its validity). Must be at least twice the Subscription Check interval.",
			},
			{
				displayName: 'Respond to Protime',
				name: 'acknowledge',
				type: 'options',
				options: [
					{
						name: 'When Last Node Finishes',
						value: 'afterExecution',
						description:
							'Protime gets its answer once the workflow has run successfully; if n8n stops or the workflow fails, Protime sends the change again',
					},
					{
						name: 'Immediately (Faster, Can Lose Changes)',
						value: 'onReceipt',
						description:
							'Protime gets its answer as soon as a change arrives; a change whose execution fails to finish (n8n restarted or stopped) is lost',
					},
				],
				default: 'afterExecution',
				description:
					'When Protime is told that a change arrived. Until then, Protime keeps sending it again.',
				displayOptions: { hide: { batchChanges: [true] } },
			},
			simplifyParameter(),
			{
				displayName: 'Subscription Check',
				name: 'checkInterval',
				type: 'options',
				options: CHECK_INTERVALS.map((m) => ({
					name: m === 1 ? 'Every Minute' : `Every ${m} Minutes`,
					value: m,
				})),
				default: DEFAULT_CHECK_INTERVAL,
				description:
					'How often the published workflow checks that its Protime subscription is alive, and renews it before it expires. Must be at most half of Renew Before Expiry.',
			},
			...simplifyOptionFields('Only used with Simplify on.'),
		],
	},
];
