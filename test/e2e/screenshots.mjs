#!/usr/bin/env node
// Screenshots for the README, taken from a real n8n with headless Chromium (Debian's package),
// driven over the Chrome DevTools Protocol (no extra npm dependency):
//   node test/e2e/screenshots.mjs   → docs/images/{credential,trigger-parameters,execution-items,workflow}.png
// Not part of CI. Installs Debian's chromium when missing (needs root). Needs a global WebSocket
// (Node ≥ 22): under an older node it re-runs itself with the pinned Node 24 of the e2e cache.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInstalled } from './lib/install.mjs';
import { OWNER } from './lib/n8n.mjs';
import { CREDENTIAL_TYPE, repoRoot } from './lib/package.mjs';
import { log, sleep, startProcess, stopAll, waitFor } from './lib/procs.mjs';
import { startSimulator } from './lib/simulator.mjs';
import { makeRunDir, startInstance } from './lib/stack.mjs';
import { hoursCsvWorkflow } from './lib/workflows.mjs';

const install = await ensureInstalled();
if (typeof globalThis.WebSocket !== 'function') {
	const r = spawnSync(install.nodeBin, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
	process.exit(r.status ?? 1);
}

function chromiumPath() {
	for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (fs.existsSync(p)) return p;
	log('installing Debian\'s chromium (apt-get install -y chromium)');
	execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
	execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
	return '/usr/bin/chromium';
}

/** Minimal CDP client over the browser's WebSocket, with flat sessions. */
class Cdp {
	constructor(url) {
		this.ws = new WebSocket(url);
		this.id = 0;
		this.pending = new Map();
		this.listeners = [];
		this.ws.onmessage = (ev) => {
			const msg = JSON.parse(ev.data);
			if (msg.id && this.pending.has(msg.id)) {
				const { resolve, reject } = this.pending.get(msg.id);
				this.pending.delete(msg.id);
				if (msg.error) reject(new Error(`${msg.error.message} ${msg.error.data ?? ''}`));
				else resolve(msg.result);
			} else if (msg.method) {
				for (const l of this.listeners) l(msg);
			}
		};
	}
	open() {
		return new Promise((resolve, reject) => {
			this.ws.onopen = resolve;
			this.ws.onerror = reject;
		});
	}
	send(method, params = {}, sessionId) {
		const id = ++this.id;
		this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
		return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
	}
	close() {
		this.ws.close();
	}
}

async function main() {
	const runDir = makeRunDir('screenshots');
	const outDir = path.join(repoRoot, 'docs', 'images');
	fs.mkdirSync(outDir, { recursive: true });
	const sim = await startSimulator({ runDir, demo: true, trafficMs: 2500 });
	const inst = await startInstance({ runDir, install, name: 'n8n-shots' });
	const { client } = inst;
	const credential = await client.createCredential('Protime (simulator)', CREDENTIAL_TYPE, sim.credentialData());
	const wfDef = hoursCsvWorkflow({ credential, filesDir: inst.filesDir });
	const wf = await client.createWorkflow(wfDef);
	await client.activate(wf.id);
	const trigger = wfDef.nodes[0];
	const [exec] = await waitFor('an execution with work interruptions', async () => {
		const list = (await client.executions(wf.id)).filter((e) => e.status === 'success');
		return list.length ? list : false;
	}, { timeoutMs: 120_000, intervalMs: 1000 });

	const chrome = chromiumPath();
	const profile = path.join(runDir, 'chromium-profile');
	fs.mkdirSync(profile, { recursive: true });
	startProcess('chromium', chrome, [
		'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--hide-scrollbars',
		`--user-data-dir=${profile}`, '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1', '--window-size=1440,900', 'about:blank',
	], { logFile: path.join(runDir, 'chromium.log') });
	const portFile = path.join(profile, 'DevToolsActivePort');
	const [port, wsPath] = (await waitFor('chromium DevTools port', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').split('\n'), { timeoutMs: 30_000 }));
	const cdp = new Cdp(`ws://127.0.0.1:${port}${wsPath}`);
	await cdp.open();
	const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
	const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
	const s = (m, p) => cdp.send(m, p, sessionId);
	await s('Page.enable');
	await s('Network.enable');
	await s('Emulation.setDeviceMetricsOverride', { width: 1440, height: 900, deviceScaleFactor: 1, mobile: false });
	const cookieValue = client.cookie.replace(/^n8n-auth=/, '');
	await s('Network.setCookie', { name: 'n8n-auth', value: cookieValue, url: inst.baseUrl, path: '/', httpOnly: true });

	const evaluate = async (expr) => (await s('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true })).result?.value;
	const goto = async (url, settleMs = 6000) => {
		await s('Page.navigate', { url });
		await waitFor(`page ${url}`, async () => (await evaluate('document.readyState')) === 'complete', { timeoutMs: 30_000 });
		await sleep(settleMs);
	};
	const shot = async (name) => {
		const { data } = await s('Page.captureScreenshot', { format: 'png' });
		const file = path.join(outDir, name);
		fs.writeFileSync(file, Buffer.from(data, 'base64'));
		log(`wrote ${path.relative(repoRoot, file)}`);
	};
	// close onboarding popups (e.g. the "Production Checklist") so they do not cover the canvas,
	// and wait until option lists have loaded
	const dismiss = async () => {
		await evaluate(`(() => { for (const b of document.querySelectorAll('button')) { if (/^(Skip|Got it|Dismiss)$/i.test(b.textContent.trim())) b.click(); } return true; })()`);
		// the checklist popover has no stable close control: hide it for the picture
		await evaluate(`(() => {
			const title = [...document.querySelectorAll('*')].find((e) => e.children.length === 0 && e.textContent.trim() === 'Production Checklist');
			let box = title?.parentElement;
			while (box && box.getBoundingClientRect().height < 200) box = box.parentElement; // the whole popover, not its header
			if (box && box.getBoundingClientRect().height < 600) box.style.display = 'none';
			return true;
		})()`);
		await waitFor('option lists loaded', async () => !(await evaluate(`document.body.innerText.includes('Loading options')`)), { timeoutMs: 20_000, intervalMs: 500 }).catch(() => {});
		await sleep(500);
	};

	await goto(`${inst.baseUrl}/home/credentials/${credential.id}`);
	await dismiss();
	await shot('credential.png');

	await goto(`${inst.baseUrl}/workflow/${wf.id}`);
	await dismiss();
	await shot('workflow.png');

	await goto(`${inst.baseUrl}/workflow/${wf.id}/${trigger.id}`);
	await dismiss();
	await shot('trigger-parameters.png');

	await goto(`${inst.baseUrl}/workflow/${wf.id}/executions/${exec.id}/${trigger.id}`, 8000);
	await dismiss();
	await shot('execution-items.png');

	cdp.close();
	await stopAll();
	fs.rmSync(runDir, { recursive: true, force: true });
	log(`login used: ${OWNER.email}`);
}

main().catch(async (err) => {
	log(`screenshots failed: ${err.stack || err.message}`);
	await stopAll();
	process.exit(1);
});
