/**
 * The value of a Resource Locator parameter. n8n stores `{ __rl: true, mode, value }`; workflows saved before the
 * parameter became a locator hold a plain string, which n8n passes through unchanged (n8n-core extract-value.js).
 */
export function locatorValue(raw: unknown): unknown {
	if (raw !== null && typeof raw === 'object' && 'value' in raw)
		return (raw as { value: unknown }).value;
	return raw;
}
