/**
 * The tenant's data: records per collection, the external-reference values of any object (including
 * objects of collections the simulator does not serve, such as terminals), and the changeVersion counter.
 */

/** A record as stored and served: the model's shape, untyped. */
export type SimRecord = Record<string, unknown> & { id: number | string; changeVersion: string };

/** First changeVersion: the doc examples' prefix (§3.3), so values look like Protime's. */
const CHANGE_VERSION_START = BigInt('0x0000090200004BD00000');

export class Store {
	private readonly tables = new Map<string, Map<string, SimRecord>>();
	private readonly references = new Map<string, Map<string, Record<string, string>>>();
	private readonly lastIds = new Map<string, number>();
	private version = CHANGE_VERSION_START;

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
