// Debian's Chromium driven by playwright-core (which downloads no browser): finds the binary or says how
// to install it, and opens a fresh headless profile that may talk to loopback only.
import fs from 'node:fs';
import { chromium, selectors } from 'playwright-core';
import { log } from './procs.mjs';

export const INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium';
const FLAGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-dev-shm-usage',
	'--hide-scrollbars',
];

/** The Chromium binary (CHROMIUM_PATH, else Debian's /usr/bin/chromium); throws with the install command when missing. */
export function chromiumPath() {
	const file = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
	if (fs.existsSync(file)) return file;
	throw new Error(
		`Chromium not found at ${file}: install Debian's package as root with \`${INSTALL_COMMAND}\` (or set CHROMIUM_PATH to a Chromium binary)`,
	);
}

let testIdSet = false;

/** A headless Chromium with a fresh profile in profileDir; requests off loopback are refused. Returns { context, page }. */
export async function openChromium({ executablePath, profileDir, width = 1440, height = 900 }) {
	if (!testIdSet) {
		selectors.setTestIdAttribute('data-test-id'); // n8n's editor marks its controls with data-test-id
		testIdSet = true;
	}
	fs.rmSync(profileDir, { recursive: true, force: true });
	fs.mkdirSync(profileDir, { recursive: true });
	const context = await chromium.launchPersistentContext(profileDir, {
		executablePath,
		headless: true,
		args: FLAGS,
		viewport: { width, height },
		deviceScaleFactor: 1,
	});
	const refused = new Set();
	await context.route(
		(url) =>
			!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) &&
			/^(https?|wss?):$/.test(url.protocol),
		(route) => {
			const { origin } = new URL(route.request().url());
			if (!refused.has(origin)) log(`browser: refused a request to ${origin} (loopback only)`);
			refused.add(origin);
			return route.abort('blockedbyclient');
		},
	);
	const page = context.pages()[0] ?? (await context.newPage());
	return { context, page };
}
