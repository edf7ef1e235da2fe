#!/usr/bin/env node
// End-to-end checks in a real n8n 2.41.1 with this package installed from `npm pack`, against the
// Protime simulator. Ends with the plain line `e2e: N passed, N failed`; exits non-zero on a failure.
//
//   npm run test:e2e                  everything (regular mode, renewal over several validity periods, queue mode)
//   E2E_ONLY=smoke,trigger npm run test:e2e    a subset: smoke, trigger, action, renewal, queue, browser
//   E2E_SCREENSHOTS=1                 the browser journey also refreshes the README's pictures in docs/images
//   E2E_KEEP=1                        keep the run directory (.e2e/...) with logs even when all passed
import fs from 'node:fs';
import { browser } from './lib/browser.mjs';
import { Checks } from './lib/checks.mjs';
import { ensureInstalled } from './lib/install.mjs';
import { log, stopAll } from './lib/procs.mjs';
import { makeRunDir } from './lib/stack.mjs';
import * as scenarios from './lib/scenarios.mjs';

const only = (process.env.E2E_ONLY || 'smoke,trigger,action,renewal,queue,browser').split(',').map((s) => s.trim());
const want = (s) => only.includes(s);

async function main() {
	const t0 = Date.now();
	const checks = new Checks();
	const runDir = makeRunDir('e2e');
	log(`run directory: ${runDir}`);
	let ok = false;
	try {
		const install = await ensureInstalled();
		// queue mode runs while the regular instance waits for the renewal periods
		const queue = want('queue') ? () => scenarios.queue({ checks, runDir, install }) : undefined;
		if (want('smoke') || want('trigger') || want('action') || want('renewal')) {
			await scenarios.regular({ checks, runDir, install, want, during: queue });
		} else if (queue) {
			await queue();
		}
		if (want('browser')) await browser({ checks, runDir, install });
		ok = checks.failed === 0 && checks.passed > 0;
	} catch (err) {
		checks.fail('harness', err);
	} finally {
		await stopAll();
	}
	process.stdout.write(`\n${checks.summary()}`);
	process.stdout.write(`e2e time: ${((Date.now() - t0) / 1000).toFixed(0)} s; logs in ${runDir}\n`);
	process.stdout.write(`e2e: ${checks.passed} passed, ${checks.failed} failed\n`);
	if (ok && process.env.E2E_KEEP !== '1') fs.rmSync(runDir, { recursive: true, force: true });
	process.exitCode = ok ? 0 : 1;
}

main();
