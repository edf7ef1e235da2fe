// n8n's verification scanner, @n8n/scan-community-package (a devDependency, the version n8n runs), against the
// package as users get it: published to the local registry (registry.mjs), fetched from there.
//
// The scanner's `analyzePackageByName` reads metadata and attestations from https://registry.npmjs.org (a
// constant) and the source from codeload.github.com at the attested commit, so it is not called as a whole.
// Its legs are, in its order, with its own exported functions:
//   1. provenance (checkPackageProvenance): CANNOT PASS HERE. It requires `dist.attestations.provenance` (SLSA v1),
//      which only npmjs.org records, for a publish from a CI provider's OIDC identity (publish.yml). It is run on
//      the local registry's metadata and its verdict is printed, not counted.
//   2. attested source (parseSourceRepo + the codeload.github.com download): CANNOT RUN HERE. No attestation
//      exists to name a repository and commit, and this machine has no route to GitHub. Stand-in: this checkout's
//      HEAD (`git archive`), the commit publish.yml would attest; `findPackageRoot` locates the package in it.
//   3. source lint (analyzePackage with SOURCE_FILE_PATTERNS: package.json and {nodes,credentials}/**): runs.
//   4. tarball lint (analyzePackage of `npm pack <name>@<version>` from the registry, **/*.js and package.json): runs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assert } from './checks.mjs';
import { pkg, repoRoot } from './package.mjs';
import { log } from './procs.mjs';

const SCANNER = '@n8n/scan-community-package';

async function loadScanner() {
	const scanner = await import(`${SCANNER}/scanner/scanner.mjs`);
	const provenance = await import(`${SCANNER}/scanner/provenance.mjs`);
	const version = JSON.parse(
		fs.readFileSync(
			path.join(repoRoot, 'node_modules', ...SCANNER.split('/'), 'package.json'),
			'utf8',
		),
	).version;
	return { ...scanner, ...provenance, version };
}

/** The scanner's verdict as a message that names every violation. */
function verdict(result) {
	return result.passed ? 'passed' : `${result.message}\n${result.details ?? ''}`;
}

/**
 * The legs of n8n's scanner against `registry` (started by registry.mjs, the package already published there).
 * Counts two checks (source lint, tarball lint); prints the legs that cannot run here and why.
 */
export async function scan({ checks, runDir, registry }) {
	const dir = path.join(runDir, 'scan');
	fs.mkdirSync(dir, { recursive: true });
	let scanner;
	try {
		scanner = await loadScanner();
	} catch (err) {
		checks.fail(`scan: n8n's scanner (${SCANNER}) loads`, err);
		return;
	}
	const label = `${SCANNER} ${scanner.version}`;
	const meta = await (await fetch(`${registry.url}${pkg.name}`)).json();
	const version = meta['dist-tags']?.latest;
	const provenance = scanner.checkPackageProvenance(meta, version);
	log(
		`scan: leg 1 (provenance) not runnable here: ${label} on the local registry's metadata says: ${provenance.passed ? 'passed' : provenance.message}`,
	);
	log(
		"scan: leg 2 (source at the attested commit from codeload.github.com) not runnable here: no attestation, no route to GitHub; the source leg lints this checkout's HEAD instead",
	);

	await checks.check(
		`scan: n8n's scanner (${label}) source leg passes on the commit publish.yml would attest (git HEAD: package.json, nodes/, credentials/)`,
		async () => {
			const sourceDir = path.join(dir, 'source');
			fs.mkdirSync(sourceDir, { recursive: true });
			const archive = path.join(dir, 'source.tar');
			execFileSync('git', ['archive', '--format=tar', '-o', archive, 'HEAD'], { cwd: repoRoot });
			execFileSync('tar', ['-xf', archive, '-C', sourceDir]);
			const root = scanner.findPackageRoot(sourceDir, pkg.name);
			assert(root, `no package.json named ${pkg.name} in the archive of HEAD`);
			const result = await scanner.analyzePackage(root, scanner.SOURCE_FILE_PATTERNS);
			assert(result.passed && !result.message, verdict(result));
		},
	);

	await checks.check(
		`scan: n8n's scanner (${label}) tarball leg passes on ${pkg.name}@${version} fetched from the registry (**/*.js, package.json)`,
		async () => {
			const packDir = path.join(dir, 'tarball');
			fs.mkdirSync(packDir, { recursive: true });
			// the scanner's own download: `npm -q pack <name>@<version>`, here from the local registry
			execFileSync('npm', ['-q', 'pack', `${pkg.name}@${version}`, '--registry', registry.url], {
				cwd: packDir,
				env: { ...process.env, npm_config_userconfig: path.join(dir, 'no-npmrc') },
				stdio: ['ignore', 'ignore', 'pipe'],
			});
			const tarball = fs.readdirSync(packDir).find((f) => f.endsWith('.tgz'));
			assert(tarball, 'npm pack fetched nothing');
			const packageDir = path.join(packDir, 'package');
			fs.mkdirSync(packageDir);
			execFileSync('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1'], {
				cwd: packDir,
			});
			assert(fs.existsSync(path.join(packageDir, 'dist')), 'the fetched package has no dist/');
			const result = await scanner.analyzePackage(packageDir, ['**/*.js', 'package.json']);
			assert(result.passed && !result.message, verdict(result));
			// the leg bites: the same package with a runtime dependency fails it
			const manifest = path.join(packageDir, 'package.json');
			fs.writeFileSync(
				manifest,
				JSON.stringify(
					{
						...JSON.parse(fs.readFileSync(manifest, 'utf8')),
						dependencies: { 'left-pad': '1.3.0' },
					},
					null,
					2,
				),
			);
			const spoiled = await scanner.analyzePackage(packageDir, ['**/*.js', 'package.json']);
			assert(
				!spoiled.passed && /no-runtime-dependencies/.test(spoiled.details ?? ''),
				`a runtime dependency went unnoticed: ${verdict(spoiled)}`,
			);
		},
	);
}
