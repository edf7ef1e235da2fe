/** A small seeded PRNG (mulberry32) so fuzz runs and bench payloads reproduce from a seed. */
export class SeededRandom {
	private state: number;

	constructor(readonly seed: number) {
		this.state = seed >>> 0;
	}

	/** A float in [0, 1). */
	next(): number {
		this.state = (this.state + 0x6d2b79f5) >>> 0;
		let t = this.state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	}

	/** An integer in [0, n). */
	int(n: number): number {
		return Math.floor(this.next() * n);
	}

	pick<T>(values: readonly T[]): T {
		return values[this.int(values.length)];
	}

	bytes(n: number): Buffer {
		const out = Buffer.alloc(n);
		for (let i = 0; i < n; i++) out[i] = this.int(256);
		return out;
	}

	/** `n` bytes made of a random 64 KiB block repeated (fast for megabytes, still seeded). */
	bulkBytes(n: number): Buffer {
		const block = this.bytes(Math.min(n, 65536));
		const out = Buffer.alloc(n);
		for (let at = 0; at < n; at += block.length) block.copy(out, at);
		return out;
	}
}
