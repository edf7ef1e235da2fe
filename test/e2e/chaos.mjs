#!/usr/bin/env node
// Runs the convergence e2e for N seeds, one after another, and prints one line per seed (not part of CI).
//
//   npm run test:chaos -- --runs 10            ten seeds drawn at random
//   npm run test:chaos -- --seeds 15,115       those seeds
//   E2E_CHAOS_ONLY=convergence,backlog …      the modules to run per seed (default convergence)
// On a shared machine wrap it: flock /tmp/e2e-machine.lock npm run test:chaos -- --runs 10
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const value = (name) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? args[i + 1] : undefined;
};
const seeds = value('seeds')
	? value('seeds').split(',').map(Number)
	: Array.from({ length: Number(value('runs') ?? 10) }, () => Math.floor(Math.random() * 2 ** 31));
const only = process.env.E2E_CHAOS_ONLY || 'convergence';
const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run.mjs');

function runSeed(seed) {
	return new Promise((resolve) => {
		const t0 = Date.now();
		const child = spawn(process.execPath, [runner], {
			env: { ...process.env, E2E_ONLY: only, E2E_SEED: String(seed) },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		// the counts come from stdout alone: each result line is also logged to stderr, and counting both doubled them
		let out = '';
		let stdout = '';
		child.stdout.on('data', (d) => {
			out += d;
			stdout += d;
		});
		child.stderr.on('data', (d) => (out += d));
		child.on('close', (code) => {
			// a failing seed's whole output is kept: the one line below cannot say why it failed
			const kept =
				code === 0
					? undefined
					: path.join(path.dirname(runner), '..', '..', '.e2e', `chaos-seed-${seed}.log`);
			if (kept) {
				fs.mkdirSync(path.dirname(kept), { recursive: true });
				fs.writeFileSync(kept, out);
			}
			const summary = stdout.match(/e2e: (\d+) passed, (\d+) failed/);
			const sum = (re, group = 1) =>
				[...stdout.matchAll(re)].reduce((n, m) => n + Number(m[group]), 0);
			const mismatches = sum(/MISMATCHES (\d+)/g);
			const doubles = sum(/DOUBLED (\d+)/g);
			const unattributed = sum(/DOUBLED \d+ \(unattributed (\d+)/g);
			const lost = sum(/LOST (\d+) \(silent (\d+)/g, 2);
			resolve({
				seed,
				code,
				passed: summary?.[1] ?? '?',
				failed: summary?.[2] ?? '?',
				mismatches,
				doubles,
				unattributed,
				silent: lost,
				seconds: Math.round((Date.now() - t0) / 1000),
				kept,
			});
		});
	});
}

let failures = 0;
for (const seed of seeds) {
	const r = await runSeed(seed);
	if (r.code !== 0) failures++;
	process.stdout.write(
		`seed ${r.seed}: ${r.code === 0 ? 'PASS' : 'FAIL'} (checks ${r.passed} passed, ${r.failed} failed; mismatches ${r.mismatches}; silent losses ${r.silent}; doubles ${r.doubles} (unattributed ${r.unattributed}); ${r.seconds} s)${r.kept ? `; output in ${r.kept}` : ''}\n`,
	);
}
process.stdout.write(`chaos: ${seeds.length - failures} of ${seeds.length} seeds passed\n`);
process.exitCode = failures ? 1 : 0;
