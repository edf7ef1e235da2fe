#!/usr/bin/env node
// First step of `npm run test:all`, `npm run test:e2e` and `npm run demo` on a fresh clone: installs what
// is missing (dev dependencies by `npm ci`; Debian packages by apt-get when root) or stops with the exact
// command that fixes it. Node built-ins only, because it runs before node_modules/ exists.
// Usage: node test/preflight.mjs [deps] [system]   (no argument: both)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wanted = process.argv.slice(2);
const want = (step) => wanted.length === 0 || wanted.includes(step);

function say(msg) {
	process.stderr.write(`[preflight] ${msg}\n`);
}

function stop(problem, fix) {
	say(`${problem}\n[preflight] fix: ${fix}`);
	process.exit(1);
}

function run(cmd, args, opts = {}) {
	const t0 = Date.now();
	say(`$ ${cmd} ${args.join(' ')}`);
	const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
	if (r.status !== 0)
		stop(
			`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`,
			`run it by hand in ${root} and read its output`,
		);
	say(`  done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

function onPath(cmd) {
	const dirs = (process.env.PATH || '')
		.split(path.delimiter)
		.concat(['/usr/sbin', '/usr/bin', '/usr/local/bin']);
	return dirs.some((d) => fs.existsSync(path.join(d, cmd)));
}

function nodeVersion() {
	const [major, minor] = process.versions.node.split('.').map(Number);
	const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
	const [, wMajor, wMinor] = /(\d+)\.(\d+)/.exec(pkg.engines.node) ?? [];
	if (major < Number(wMajor) || (major === Number(wMajor) && minor < Number(wMinor))) {
		stop(
			`Node ${process.versions.node} is older than package.json's engines (${pkg.engines.node})`,
			`install Node ${wMajor}.${wMinor} or newer (e.g. Debian/NodeSource node 20 LTS)`,
		);
	}
}

/** Dev dependencies: `npm ci` from the lockfile when node_modules/ has not been installed yet. */
function devDependencies() {
	if (fs.existsSync(path.join(root, 'node_modules', '.package-lock.json'))) return;
	say('node_modules/ is missing: installing the dev dependencies from package-lock.json');
	run('npm', ['ci', '--no-audit', '--no-fund']);
}

/** Debian packages the e2e uses: Redis + PostgreSQL (queue mode), Chromium (the editor journey). */
export const SYSTEM_PACKAGES = [
	{ apt: 'redis-server', present: () => onPath('redis-server') },
	{
		apt: 'postgresql',
		present: () =>
			fs.existsSync('/usr/lib/postgresql') &&
			fs
				.readdirSync('/usr/lib/postgresql')
				.some((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)),
	},
	{ apt: 'chromium', present: () => onPath('chromium') || onPath('chromium-browser') },
];

function systemPackages() {
	const missing = SYSTEM_PACKAGES.filter((p) => !p.present()).map((p) => p.apt);
	if (missing.length === 0) return;
	const install = ['install', '-y', '-qq', '--no-install-recommends', ...missing];
	if (process.getuid?.() !== 0)
		stop(
			`missing Debian packages: ${missing.join(' ')}`,
			`sudo apt-get update && sudo apt-get ${install.join(' ')}`,
		);
	say(`installing missing Debian packages: ${missing.join(' ')}`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	// other apt users on the machine: wait for the dpkg lock instead of failing
	const lock = ['-o', 'DPkg::Lock::Timeout=600'];
	run('apt-get', [...lock, 'update', '-qq'], { env });
	run('apt-get', [...lock, ...install], { env });
	const still = SYSTEM_PACKAGES.filter((p) => missing.includes(p.apt) && !p.present()).map(
		(p) => p.apt,
	);
	if (still.length)
		stop(
			`apt-get installed but these are still not found: ${still.join(' ')}`,
			`apt-get install --reinstall ${still.join(' ')}`,
		);
}

nodeVersion();
if (want('deps')) devDependencies();
if (want('system')) systemPackages();
