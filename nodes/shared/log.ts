/**
 * The trigger's log lines, each naming the workflow (id and name) and the node, so that an operator reading
 * n8n's log of many workflows knows which one a line is about. The same names go into the metadata.
 */
import type { IDataObject, Logger } from 'n8n-workflow';

/** What every n8n node context (hook, webhook, trigger, execute) offers. */
export interface LoggingContext {
	logger: Logger;
	getWorkflow(): { id?: string | number | null; name?: string | null };
	getNode(): { name: string };
}

export interface NodeLog {
	debug(message: string): void;
	info(message: string): void;
	warn(message: string): void;
	error(message: string): void;
}

/** `Protime Trigger [workflow "Name" (id 12), node "Protime Trigger"]`, and the same as log metadata. */
export function where(
	ctx: Pick<LoggingContext, 'getWorkflow' | 'getNode'>,
	label = 'Protime Trigger',
): { prefix: string; meta: IDataObject } {
	const workflow = ctx.getWorkflow();
	const id = String(workflow.id ?? 'unsaved');
	const name = String(workflow.name ?? '');
	const node = ctx.getNode().name;
	return {
		prefix: `${label} [workflow "${name}" (id ${id}), node "${node}"]`,
		meta: { workflowId: id, workflowName: name, nodeName: node },
	};
}

/** A logger for `ctx` whose lines start with `where(ctx)`; `message` is the text after the colon. */
export function nodeLog(ctx: LoggingContext, label?: string): NodeLog {
	const at =
		(level: keyof NodeLog) =>
		(message: string): void => {
			const { prefix, meta } = where(ctx, label);
			ctx.logger[level](`${prefix}: ${message}`, meta);
		};
	return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
