#!/usr/bin/env node
// End-to-end checks in real n8n (the main version, N8N_VERSION in lib/install.mjs, and the core on every
// other version pinned in test/e2e/n8n-install/) with this package installed from `npm pack`, against the
// Protime simulator.
// Ends with the plain line `e2e: N passed, N failed`; exits non-zero on a failure.
//
//   npm run test:e2e                  everything on the main version, and in parallel the core on the others
//   npm run test:e2e -- --n8n 1.123.81   one version only (E2E_N8N_VERSION=1.123.81 does the same): the core
//                                     unless it is the main version
//   E2E_ONLY=smoke,trigger npm run test:e2e    a subset: smoke, trigger, action, renewal, queue, versions (the
//                                     other versions' core), core (= smoke,trigger,renewal), and the modules
//                                     run after them: scopes, tool, reporting, registry, browser, durability,
//                                     convergence; and, only when named (not in CI: ~25 min), backlog
//   E2E_SEED=N                        the backlog and convergence modules' random pattern from seed N (drawn per run otherwise)
//   E2E_KEEP=1                        keep the run directory (.e2e/...) with logs even when all passed
import fs from 'node:fs';
import path from 'node:path';
import { Checks } from './lib/checks.mjs';
import { ensureInstalled, N8N_VERSION, pinnedVersions, selectedVersion } from './lib/install.mjs';
import { log, stopAll } from './lib/procs.mjs';
import { registry } from './lib/registry.mjs';
import { makeRunDir } from './lib/stack.mjs';
import * as scenarios from './lib/scenarios.mjs';
import { browser } from './lib/browser.mjs';
import { backlog } from './lib/backlog.mjs';
import { convergence } from './lib/convergence.mjs';
import { durability } from './lib/durability.mjs';
import { scopes } from './lib/scopes.mjs';
import { reporting } from './lib/reporting.mjs';
import { tool } from './lib/tool.mjs';

const CORE = ['smoke', 'trigger', 'renewal'];
const version = selectedVersion();
const oneVersion = process.argv.includes('--n8n') || Boolean(process.env.E2E_N8N_VERSION);
const subsets = (list) =>
	list
		.split(',')
		.map((s) => s.trim())
		.flatMap((s) => (s === 'core' ? CORE : [s]));
const only = subsets(
	process.env.E2E_ONLY ||
		(version === N8N_VERSION
			? 'smoke,trigger,action,renewal,queue,versions,scopes,tool,reporting,registry,browser,durability,convergence'
			: 'core'),
);
const want = (s) => only.includes(s);
const coreWant = (s) => CORE.includes(s);

async function main() {
	const t0 = Date.now();
	const checks = new Checks();
	const runDir = makeRunDir('e2e');
	log(`run directory: ${runDir}`);
	let ok = false;
	try {
		const install = await ensureInstalled(version);
		// the other versions' core runs from the start, each in its own instance and run directory
		const others =
			!oneVersion && want('versions') ? pinnedVersions().filter((v) => v !== version) : [];
		const parallel = others.map((v) => otherVersion(v, { checks, runDir }));
		// queue mode runs while the regular instance waits for the renewal periods
		const queue = want('queue') ? () => scenarios.queue({ checks, runDir, install }) : undefined;
		if (want('smoke') || want('trigger') || want('action') || want('renewal')) {
			await scenarios.regular({ checks, runDir, install, want, during: queue });
		} else if (queue) {
			await queue();
		}
		if (want('scopes')) await scopes({ checks, runDir, install });
		if (want('tool')) await tool({ checks, runDir, install });
		if (want('reporting')) await reporting({ checks, runDir, install });
		if (want('registry')) await registry({ checks, runDir, install });
		if (want('browser')) await browser({ checks, runDir, install });
		await Promise.all(parallel);
		// last and alone: it kills and restarts n8n on a schedule, so it wants the machine to itself
		if (want('durability')) await durability({ checks, runDir, install });
		// then the sync pattern against Protime under the same kinds of disruption (issue 15)
		if (want('convergence')) await convergence({ checks, runDir, install });
		// a renewal during a sustained backlog, the replaced webhook's queue dropped and drained (issue 20)
		if (want('backlog')) await backlog({ checks, runDir, install });
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

/** The core checks on another pinned n8n version; its check names start with [n8n <version>]. */
async function otherVersion(v, { checks, runDir }) {
	const scoped = checks.scoped(`[n8n ${v}] `);
	const dir = path.join(runDir, `n8n-${v}`);
	fs.mkdirSync(dir, { recursive: true });
	try {
		const install = await ensureInstalled(v);
		await scenarios.regular({ checks: scoped, runDir: dir, install, want: coreWant });
	} catch (err) {
		scoped.fail('harness', err);
	}
}

main();
