/**
 * The tenant's data: records per collection, the external-reference values of any object (including
 * objects of collections the simulator does not serve, such as terminals), and the changeVersion counter.
 */

/** A record as stored and served: the model's shape, untyped. */
export type SimRecord = Record<string, unknown> & { id: number | string; changeVersion: string };

/**
 * One change as raised (insert, update, delete), in the order raised. The delta endpoints (delta.ts) read their
 * changes from this log; `seq` is the cursor a delta token carries (`StartingCursor`).
 */
export interface ChangeLogEntry {
	seq: number;
	collection: string;
	changeType: 'InsertOrUpdate' | 'Delete';
	id: number | string;
	changeVersion: string;
	/** The record as written; for a Delete, its last state before the delete (with the Delete's changeVersion). */
	record: SimRecord;
	at: number;
}

/** First changeVersion: the doc examples' prefix (§3.3), so values look like Protime's. */
const CHANGE_VERSION_START = BigInt('0x0000090200004BD00000');

export class Store {
	private readonly tables = new Map<string, Map<string, SimRecord>>();
	private readonly references = new Map<string, Map<string, Record<string, string>>>();
	private readonly lastIds = new Map<string, number>();
	private version = CHANGE_VERSION_START;
	private readonly log: ChangeLogEntry[] = [];
	private lastSeq = 0;

	/** Monotonically increasing 20-digit upper-case hex, so plain string comparison orders changes (§3.3). */
	nextChangeVersion(): string {
		this.version += 1n;
		return this.version.toString(16).toUpperCase().padStart(20, '0');
	}

	/** A fresh numeric id, above every id seen in the collection and above `floor` (the model sample id). */
	nextId(collection: string, floor: number): number {
		const next = Math.max(this.lastIds.get(collection) ?? 0, floor) + 1;
		this.lastIds.set(collection, next);
		return next;
	}

	list(collection: string): SimRecord[] {
		return [...this.table(collection).values()];
	}

	get(collection: string, id: number | string): SimRecord | undefined {
		return this.table(collection).get(String(id));
	}

	put(collection: string, record: SimRecord): void {
		this.table(collection).set(String(record.id), record);
		if (typeof record.id === 'number' && record.id > (this.lastIds.get(collection) ?? 0)) {
			this.lastIds.set(collection, record.id);
		}
	}

	delete(collection: string, id: number | string): boolean {
		return this.table(collection).delete(String(id));
	}

	/**
	 * Appends a change to the log and returns it. The log keeps about `limit` entries, the oldest go first; a delta
	 * whose cursor lies before the oldest kept entry has lost changes (410, "the delta data is deleted").
	 */
	logChange(
		collection: string,
		changeType: ChangeLogEntry['changeType'],
		record: SimRecord,
		at: number,
		limit: number,
	): ChangeLogEntry {
		const entry: ChangeLogEntry = {
			seq: ++this.lastSeq,
			collection,
			changeType,
			id: record.id,
			changeVersion: record.changeVersion,
			record: structuredClone(record),
			at,
		};
		this.log.push(entry);
		// Trim in batches, so a full log does not shift the array on every change.
		const keep = Math.max(1, limit);
		if (this.log.length > keep + Math.floor(keep / 10)) this.log.splice(0, this.log.length - keep);
		return entry;
	}

	/** The seq of the newest change (0 before any change). */
	get changeHead(): number {
		return this.lastSeq;
	}

	/** The seq of the oldest change still in the log (changeHead + 1 when the log is empty). */
	get changeTail(): number {
		return this.log[0]?.seq ?? this.lastSeq + 1;
	}

	/** Changes of a collection with seq > `after`, oldest first. */
	changesAfter(collection: string, after: number): ChangeLogEntry[] {
		// seqs are consecutive within the kept log, so the start index is computed, not searched.
		const start = Math.max(0, after + 1 - this.changeTail);
		return this.log.slice(start).filter((e) => e.collection === collection);
	}

	/** Sets (merges) external-reference values of one object, e.g. people 1001 → {'@employee-number': 'E-1001'}. */
	setReferences(collection: string, id: number | string, values: Record<string, string>): void {
		let byId = this.references.get(collection);
		if (!byId) this.references.set(collection, (byId = new Map()));
		byId.set(String(id), { ...(byId.get(String(id)) ?? {}), ...values });
	}

	getReferences(collection: string, id: number | string): Record<string, string> {
		return this.references.get(collection)?.get(String(id)) ?? {};
	}

	/** The id of the object whose reference `reference` has value `value`, if any. */
	findByReference(collection: string, reference: string, value: string): string | undefined {
		for (const [id, refs] of this.references.get(collection) ?? []) {
			if (refs[reference] === value) return id;
		}
		return undefined;
	}

	private table(collection: string): Map<string, SimRecord> {
		let t = this.tables.get(collection);
		if (!t) this.tables.set(collection, (t = new Map()));
		return t;
	}
}
