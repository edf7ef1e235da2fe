import { createHmac, randomBytes } from 'crypto';

import {
	MAX_HEADER_LENGTH,
	MAX_TIMESTAMP_AGE_MS,
	decodeBase64Strict,
	describeSignatureFailure,
	verifySignature,
} from '../../nodes/shared/signature';

const body = Buffer.from(
	'{"changeType":"InsertOrUpdate","data":{"id":1,"changeVersion":"0000000000000000000A"}}',
);
const base64Key = randomBytes(32).toString('base64');
const textKey = `k-${randomBytes(8).toString('hex')}`;

const mac = (key: Buffer | string, data: Buffer = body) =>
	createHmac('sha256', key).update(data).digest();

describe('verifySignature', () => {
	const variants: Array<[string, () => string]> = [
		['base64 of HMAC under the key text', () => mac(base64Key).toString('base64')],
		['hex of HMAC under the key text', () => mac(base64Key).toString('hex')],
		['upper-case hex', () => mac(base64Key).toString('hex').toUpperCase()],
		['sha256= prefixed hex', () => `sha256=${mac(base64Key).toString('hex')}`],
		['SHA256= prefixed base64', () => `SHA256=${mac(base64Key).toString('base64')}`],
		['base64url without padding', () => mac(base64Key).toString('base64url')],
		[
			'HMAC under the base64-decoded key bytes',
			() => mac(Buffer.from(base64Key, 'base64')).toString('base64'),
		],
		['a list value "t=1,v1=<hex>" style', () => `t=1, sha256=${mac(base64Key).toString('hex')}`],
	];
	it.each(variants)('accepts %s', (_name, sign) => {
		const result = verifySignature(
			body,
			{ 'x-anything': sign(), 'content-type': 'application/json' },
			[base64Key],
		);
		expect(result).toEqual({ valid: true, header: 'x-anything', keyIndex: 0 });
	});

	it('accepts a signature over "<timestamp>.<body>" with a fresh timestamp header or t= part', () => {
		const seconds = String(Math.floor(Date.now() / 1000));
		const signed = mac(base64Key, Buffer.concat([Buffer.from(`${seconds}.`), body])).toString(
			'base64',
		);
		expect(
			verifySignature(body, { 'x-protime-signature': signed, 'x-protime-timestamp': seconds }, [
				base64Key,
			]).valid,
		).toBe(true);
		const hex = mac(base64Key, Buffer.concat([Buffer.from(`${seconds}.`), body])).toString('hex');
		expect(verifySignature(body, { 'x-sig': `t=${seconds},v1=${hex}` }, [base64Key]).valid).toBe(
			true,
		);
	});

	it('rejects a timestamped signature outside the replay window', () => {
		const stale = String(Math.floor((Date.now() - MAX_TIMESTAMP_AGE_MS - 60_000) / 1000));
		const signed = mac(base64Key, Buffer.concat([Buffer.from(`${stale}.`), body])).toString(
			'base64',
		);
		expect(
			verifySignature(body, { 'x-protime-signature': signed, 'x-protime-timestamp': stale }, [
				base64Key,
			]),
		).toEqual({
			valid: false,
			reason: 'mismatch',
		});
	});

	it('accepts a non-base64 key used as UTF-8 text', () => {
		const result = verifySignature(
			body,
			{ 'x-protime-signature': mac(textKey).toString('base64') },
			[textKey],
		);
		expect(result.valid).toBe(true);
	});

	it('accepts the previous key (grace period) and reports which key matched', () => {
		const newKey = randomBytes(32).toString('base64');
		const result = verifySignature(body, { 'x-sig': mac(base64Key).toString('base64') }, [
			newKey,
			base64Key,
		]);
		expect(result).toEqual({ valid: true, header: 'x-sig', keyIndex: 1 });
	});

	it('accepts a header given as an array of values', () => {
		const result = verifySignature(
			body,
			{ 'x-sig': ['nonsense', mac(base64Key).toString('hex')] },
			[base64Key],
		);
		expect(result.valid).toBe(true);
	});

	it('falls back to the other headers when the documented header does not verify', () => {
		const wrong = mac(randomBytes(32)).toString('base64');
		const right = mac(base64Key).toString('hex');
		expect(
			verifySignature(body, { 'x-protime-signature': wrong, 'x-other': right }, [base64Key]),
		).toEqual({
			valid: true,
			header: 'x-other',
			keyIndex: 0,
		});
		expect(verifySignature(body, { 'x-protime-signature': wrong }, [base64Key])).toEqual({
			valid: false,
			reason: 'mismatch',
		});
	});

	it('verifies the documented header under either key form and any key, repeatedly (cached key forms)', () => {
		const previous = randomBytes(32).toString('base64');
		for (let i = 0; i < 3; i++) {
			const underDecoded = mac(Buffer.from(previous, 'base64')).toString('base64');
			expect(
				verifySignature(body, { 'x-protime-signature': underDecoded }, [base64Key, previous]),
			).toEqual({
				valid: true,
				header: 'x-protime-signature',
				keyIndex: 1,
			});
			expect(
				verifySignature(body, { 'x-protime-signature': underDecoded }, [base64Key]).valid,
			).toBe(false);
			expect(
				verifySignature(
					Buffer.concat([body, Buffer.from(' ')]),
					{ 'x-protime-signature': underDecoded },
					[previous],
				).valid,
			).toBe(false);
		}
	});

	it('rejects a tampered body', () => {
		const tampered = Buffer.from(body.toString().replace('"id":1', '"id":2'));
		const result = verifySignature(tampered, { 'x-sig': mac(base64Key).toString('base64') }, [
			base64Key,
		]);
		expect(result).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('rejects a signature made with another key', () => {
		const other = randomBytes(32).toString('base64');
		const result = verifySignature(body, { 'x-sig': mac(other).toString('base64') }, [base64Key]);
		expect(result).toEqual({ valid: false, reason: 'mismatch' });
	});

	it('rejects when no header carries a digest', () => {
		const result = verifySignature(
			body,
			{ 'content-type': 'application/json', 'user-agent': 'Protime' },
			[base64Key],
		);
		expect(result).toEqual({ valid: false, reason: 'noCandidate' });
	});

	it('rejects when the raw body is missing', () => {
		const result = verifySignature(undefined, { 'x-sig': mac(base64Key).toString('base64') }, [
			base64Key,
		]);
		expect(result).toEqual({ valid: false, reason: 'noRawBody' });
	});

	it('rejects when no key is stored (fail closed, never "skip verification")', () => {
		const result = verifySignature(body, { 'x-sig': mac(base64Key).toString('base64') }, [
			undefined,
			'',
		]);
		expect(result).toEqual({ valid: false, reason: 'noKey' });
	});

	it('ignores an oversized header even if it contains the right digest', () => {
		const padded = `${'a'.repeat(MAX_HEADER_LENGTH)},${mac(base64Key).toString('hex')}`;
		const result = verifySignature(body, { 'x-sig': padded }, [base64Key]);
		expect(result).toEqual({ valid: false, reason: 'noCandidate' });
	});

	it('rejects a truncated digest (length check)', () => {
		const short = mac(base64Key).subarray(0, 31).toString('base64');
		expect(verifySignature(body, { 'x-sig': short }, [base64Key])).toEqual({
			valid: false,
			reason: 'noCandidate',
		});
	});

	it('accepts only the canonical base64 form of a digest in the documented header', () => {
		const good = mac(base64Key).toString('base64');
		const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
		// The same 32 bytes with one of the two unused low bits of the last character set: Node decodes it to
		// the right digest, but the text is not what a signer writes.
		const lastValue = alphabet.indexOf(good[42]);
		for (const extra of [1, 2, 3]) {
			const forged = `${good.slice(0, 42)}${alphabet[lastValue | extra]}=`;
			expect(Buffer.from(forged, 'base64').equals(mac(base64Key))).toBe(true);
			expect(verifySignature(body, { 'x-protime-signature': forged }, [base64Key]).valid).toBe(
				false,
			);
		}
		expect(verifySignature(body, { 'x-protime-signature': good }, [base64Key])).toEqual({
			valid: true,
			header: 'x-protime-signature',
			keyIndex: 0,
		});
	});

	it('never throws on odd input', () => {
		const weird = { 'x-sig': 42 as unknown as string, other: undefined };
		expect(verifySignature(body, weird, [base64Key])).toEqual({
			valid: false,
			reason: 'noCandidate',
		});
		expect(verifySignature('text' as unknown as Buffer, {}, [base64Key])).toEqual({
			valid: false,
			reason: 'noRawBody',
		});
	});

	it('describes every failure without secrets', () => {
		for (const reason of ['noKey', 'noRawBody', 'noCandidate', 'mismatch', 'error'] as const) {
			expect(describeSignatureFailure(reason)).not.toContain(base64Key);
			expect(describeSignatureFailure(reason).length).toBeGreaterThan(10);
		}
	});
});

describe('decodeBase64Strict', () => {
	it('decodes standard and url-safe base64, rejects other text', () => {
		expect(decodeBase64Strict('aGVsbG8=')?.toString()).toBe('hello');
		expect(decodeBase64Strict('aGVsbG8')?.toString()).toBe('hello');
		expect(decodeBase64Strict('not base64!')).toBeUndefined();
		expect(decodeBase64Strict('')).toBeUndefined();
		expect(decodeBase64Strict('a')).toBeUndefined();
	});
});
