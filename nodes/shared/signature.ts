/**
 * Verification of Protime webhook deliveries.
 *
 * Protime signs each delivery with HMAC using the private key returned once when the webhook is created,
 * but does not publish the details (docs/protime-reference.md §3.4, §7.1). Assumptions, chosen to be tolerant of the
 * format while staying fail-closed:
 * - The MAC is HMAC-SHA256 over the raw request body bytes exactly as received (never re-serialised JSON).
 * - The header name is unknown, so every request header is a candidate. The documented one
 *   (`x-protime-signature`, lower-case as Node delivers it) is tried first over the plain body; the full scan
 *   below runs only when it does not verify. A header value is tried whole and
 *   split on commas, semicolons and spaces; each part may carry a label such as `sha256=` or `v1=`.
 * - A candidate is hex (64 characters) or base64 (standard or URL-safe, padded or not) and must decode to
 *   exactly 32 bytes; anything else is ignored. Header values longer than {@link MAX_HEADER_LENGTH} are
 *   ignored unread, so an attacker cannot make us decode megabytes.
 * - The key is tried as given (UTF-8 bytes) and, when it is valid base64, as its decoded bytes.
 * - Some senders sign `<timestamp>.<body>` for replay protection (Stripe, Zendesk). When a header whose name
 *   contains `timestamp` holds Unix seconds or milliseconds (or a signature header has a `t=` part), that form
 *   is tried too, and then only within {@link MAX_TIMESTAMP_AGE_MS} of now.
 * - Comparison uses `timingSafeEqual` on equal-length buffers. Any doubt (no key, no raw body, no
 *   candidate, an exception) means "not verified"; the function never throws.
 */
import { createHmac, timingSafeEqual } from 'crypto';
import { boundedMemo } from './memo';

/** Longest header value considered; a base64 or hex SHA-256 with a prefix is under 80 characters. */
export const MAX_HEADER_LENGTH = 512;
/** Largest clock difference accepted for a timestamped signature. */
export const MAX_TIMESTAMP_AGE_MS = 5 * 60_000;
const DIGEST_BYTES = 32;

export type SignatureFailure = 'noKey' | 'noRawBody' | 'noCandidate' | 'mismatch' | 'error';

export type SignatureResult =
	| { valid: true; header: string; keyIndex: number }
	| { valid: false; reason: SignatureFailure };

export type HeaderMap = Record<string, string | string[] | undefined>;

/** The bytes of a strictly valid base64 / base64url string, or undefined. */
export function decodeBase64Strict(value: string): Buffer | undefined {
	const trimmed = value.trim();
	if (trimmed.length === 0 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
	const normalised = trimmed.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
	if (normalised.length % 4 === 1) return undefined;
	const bytes = Buffer.from(normalised, 'base64');
	// Re-encoding must give the same characters, otherwise Node silently skipped something.
	if (bytes.toString('base64').replace(/=+$/, '') !== normalised) return undefined;
	return bytes;
}

/** The 6-bit value of each standard base64 character code below 128, -1 for any other character. */
const BASE64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
	BASE64_VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] =
		i;
}

/**
 * Whether `text` is the canonical padded standard base64 of 32 bytes: 43 alphabet characters and `=`, the
 * last character's two unused low bits zero (43 characters carry 258 bits for 256). The same answer as
 * decoding, re-encoding and comparing, without building either.
 */
function isCanonicalBase64Digest(text: string): boolean {
	if (text.length !== 44 || text.charCodeAt(43) !== 61) return false;
	for (let i = 0; i < 43; i++) {
		const code = text.charCodeAt(i);
		if (code > 127 || BASE64_VALUE[code] < 0) return false;
	}
	return (BASE64_VALUE[text.charCodeAt(42)] & 3) === 0;
}

/** A 32-byte digest written as hex or base64, or undefined. */
function decodeDigest(text: string): Buffer | undefined {
	// The usual form, decoded without the general checks below; the result is the same: canonical base64 only.
	if (isCanonicalBase64Digest(text)) return Buffer.from(text, 'base64');
	// `sha256=…`, `v1=…`: a short label before the digest.
	const value = text.replace(/^[A-Za-z][A-Za-z0-9_-]{0,15}=(?=.)/, '');
	if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
	const bytes = decodeBase64Strict(value);
	return bytes?.length === DIGEST_BYTES ? bytes : undefined;
}

/** Every decodable 32-byte digest found in the headers, with the header it came from. */
export function signatureCandidates(headers: HeaderMap): Array<{ header: string; digest: Buffer }> {
	const found: Array<{ header: string; digest: Buffer }> = [];
	for (const [name, raw] of Object.entries(headers)) {
		const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
		for (const value of values) {
			if (typeof value !== 'string') continue;
			digestsInValue(value, name.toLowerCase(), found);
		}
	}
	return found;
}

/** Timestamps a sender may have signed with the body: `*timestamp*` headers and `t=` parts, within the window. */
export function signedTimestamps(headers: HeaderMap, now = Date.now()): string[] {
	const found = new Set<string>();
	for (const [name, raw] of Object.entries(headers)) {
		const value = Array.isArray(raw) ? raw[0] : raw;
		if (typeof value !== 'string' || value.length > MAX_HEADER_LENGTH) continue;
		if (/timestamp/i.test(name) && /^\d{9,13}$/.test(value.trim())) found.add(value.trim());
		for (const match of value.matchAll(/(?:^|[,;\s])t=(\d{9,13})(?=$|[,;\s])/g))
			found.add(match[1]);
	}
	return [...found].filter((t) => {
		const ms = t.length > 11 ? Number(t) : Number(t) * 1000;
		return Math.abs(now - ms) <= MAX_TIMESTAMP_AGE_MS;
	});
}

/** The key forms to try: the UTF-8 bytes of the key and, when the key is base64, its decoded bytes. */
export function keyForms(key: string): Buffer[] {
	const forms: Buffer[] = [Buffer.from(key, 'utf8')];
	const decoded = decodeBase64Strict(key);
	if (decoded && decoded.length > 0) forms.push(decoded);
	return forms;
}

/**
 * {@link keyForms} of the last few keys (current and previous keys of a few triggers), computed once per key
 * (the buffers are never handed out for writing).
 */
const cachedKeyForms: (key: string) => readonly Buffer[] = boundedMemo(16, keyForms);

/** The documented header (docs/protime-reference.md §8), tried first; every other header only when it does not verify. */
export const PRIMARY_SIGNATURE_HEADER = 'x-protime-signature';

/** The 32-byte digests in one header value: whole, and split on commas, semicolons and spaces. */
function digestsInValue(
	value: string,
	header: string,
	found: Array<{ header: string; digest: Buffer }>,
): void {
	if (value.length > MAX_HEADER_LENGTH) return;
	const trimmed = value.trim();
	const digest = trimmed ? decodeDigest(trimmed) : undefined;
	if (digest) found.push({ header, digest });
	if (!/[,;\s]/.test(trimmed)) return; // no separators: the parts are the whole value, already tried
	const parts = new Set(value.split(/[,;\s]+/));
	parts.delete(trimmed);
	for (const part of parts) {
		const d = part ? decodeDigest(part) : undefined;
		if (d) found.push({ header, digest: d });
	}
}

export function hmacSha256(key: Buffer | string, data: Buffer | string): Buffer {
	return createHmac('sha256', key).update(data).digest();
}

/** Constant-time equality of two buffers; false (not an exception) when the lengths differ. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
	return a.length === b.length && timingSafeEqual(a, b);
}

function isUsableKey(key: string | undefined): key is string {
	return typeof key === 'string' && key.length > 0;
}

/**
 * Whether `rawBody` carries a valid signature under one of `keys` (current key first, then previous keys
 * still in their grace period). Never throws.
 */
export function verifySignature(
	rawBody: Buffer | undefined,
	headers: HeaderMap,
	keys: ReadonlyArray<string | undefined>,
): SignatureResult {
	try {
		const usableKeys = keys.every(isUsableKey)
			? (keys as readonly string[])
			: keys.filter(isUsableKey);
		if (usableKeys.length === 0) return { valid: false, reason: 'noKey' };
		if (!Buffer.isBuffer(rawBody)) return { valid: false, reason: 'noRawBody' };
		// Fast path: the documented header over the plain body. Only a matching HMAC is accepted here; any
		// other outcome falls through to the full tolerant scan below, so nothing is accepted that the scan
		// would refuse, and nothing the scan accepts is lost.
		const primary = primaryCandidates(headers);
		const macs: Buffer[][] = [];
		if (primary.length > 0) {
			for (let keyIndex = 0; keyIndex < usableKeys.length; keyIndex++) {
				const forms = cachedKeyForms(usableKeys[keyIndex]);
				const keyMacs: Buffer[] = [];
				for (const form of forms) {
					const expected = hmacSha256(form, rawBody);
					keyMacs.push(expected);
					for (const candidate of primary) {
						if (safeEqual(expected, candidate.digest))
							return { valid: true, header: candidate.header, keyIndex };
					}
				}
				macs.push(keyMacs);
			}
		}
		const candidates = signatureCandidates(headers);
		if (candidates.length === 0) return { valid: false, reason: 'noCandidate' };
		const stamps = signedTimestamps(headers);
		for (let keyIndex = 0; keyIndex < usableKeys.length; keyIndex++) {
			const forms = cachedKeyForms(usableKeys[keyIndex]);
			for (let f = 0; f < forms.length; f++) {
				// The HMAC of the plain body is computed once per key form (reused from the fast path).
				const expectedPlain = macs[keyIndex]?.[f] ?? hmacSha256(forms[f], rawBody);
				for (let b = 0; b <= stamps.length; b++) {
					const expected =
						b === 0
							? expectedPlain
							: hmacSha256(forms[f], Buffer.concat([Buffer.from(`${stamps[b - 1]}.`), rawBody]));
					for (const candidate of candidates) {
						if (safeEqual(expected, candidate.digest)) {
							return { valid: true, header: candidate.header, keyIndex };
						}
					}
				}
			}
		}
		return { valid: false, reason: 'mismatch' };
	} catch {
		return { valid: false, reason: 'error' };
	}
}

/** The digests in the documented signature header, if present (plain string or first array element). */
function primaryCandidates(headers: HeaderMap): Array<{ header: string; digest: Buffer }> {
	const found: Array<{ header: string; digest: Buffer }> = [];
	const raw = headers[PRIMARY_SIGNATURE_HEADER];
	const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
	for (const value of values)
		if (typeof value === 'string') digestsInValue(value, PRIMARY_SIGNATURE_HEADER, found);
	return found;
}

/** A sentence for logs: why a delivery was rejected, without any secret. */
export function describeSignatureFailure(reason: SignatureFailure): string {
	switch (reason) {
		case 'noKey':
			return 'no webhook key is stored for this trigger (deactivate and activate the workflow to create a fresh subscription)';
		case 'noRawBody':
			return 'the raw request body was not available, so the signature cannot be checked';
		case 'noCandidate':
			return 'no request header carries a SHA-256 signature in hex or base64';
		case 'mismatch':
			return 'no signature header matches the body under the stored webhook key';
		default:
			return 'the signature check failed unexpectedly';
	}
}
