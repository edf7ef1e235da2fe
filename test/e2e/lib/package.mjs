// Builds this repository's package, packs it with `npm pack` and installs the tarball into an
// n8n user folder the way n8n's community-package installer does:
// <userFolder>/.n8n/nodes/node_modules/<name>, dev/peer/optional dependencies stripped.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './procs.mjs';

export const repoRoot = path.resolve(
	path.dirname(fileURLToPath(import.meta.url)),
	'..',
	'..',
	'..',
);
export const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
export const TRIGGER_TYPE = `${pkg.name}.protimeTrigger`;
export const ACTION_TYPE = `${pkg.name}.protime`;
export const CREDENTIAL_TYPE = 'protimeApi';

/** npm run build (unless E2E_SKIP_BUILD=1 and dist/ exists), then npm pack into outDir. Returns the tarball path. */
export function buildAndPack(outDir) {
	fs.mkdirSync(outDir, { recursive: true });
	const env = {
		...process.env,
		npm_config_fund: 'false',
		npm_config_audit: 'false',
		npm_config_update_notifier: 'false',
	};
	if (process.env.E2E_SKIP_BUILD === '1' && fs.existsSync(path.join(repoRoot, 'dist'))) {
		log('E2E_SKIP_BUILD=1: using the existing dist/');
	} else {
		const t0 = Date.now();
		execFileSync('npm', ['run', 'build', '--silent'], {
			cwd: repoRoot,
			env,
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		log(`npm run build: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	}
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
		cwd: repoRoot,
		env,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const info = JSON.parse(out)[0];
	const tarball = path.join(outDir, info.filename);
	log(`npm pack: ${info.filename} (${info.files.length} files, ${info.size} bytes)`);
	return tarball;
}

/** Installs the tarball as a community package into <userFolder>/.n8n/nodes/node_modules/<name>. */
export function installIntoUserFolder(tarball, userFolder) {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const dest = path.join(nodesDir, 'node_modules', pkg.name);
	fs.rmSync(dest, { recursive: true, force: true });
	fs.mkdirSync(dest, { recursive: true });
	if (!fs.existsSync(path.join(nodesDir, 'package.json'))) {
		fs.writeFileSync(
			path.join(nodesDir, 'package.json'),
			`${JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2)}\n`,
		);
	}
	execFileSync('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1']);
	// as n8n's installer: keep only runtime dependencies
	const pj = path.join(dest, 'package.json');
	const manifest = JSON.parse(fs.readFileSync(pj, 'utf8'));
	delete manifest.devDependencies;
	delete manifest.peerDependencies;
	delete manifest.optionalDependencies;
	fs.writeFileSync(pj, `${JSON.stringify(manifest, null, 2)}\n`);
	const nodesPj = JSON.parse(fs.readFileSync(path.join(nodesDir, 'package.json'), 'utf8'));
	nodesPj.dependencies = { ...nodesPj.dependencies, [pkg.name]: manifest.version };
	fs.writeFileSync(path.join(nodesDir, 'package.json'), `${JSON.stringify(nodesPj, null, 2)}\n`);
	if (Object.keys(manifest.dependencies ?? {}).length) {
		execFileSync(
			'npm',
			['install', '--ignore-scripts', '--install-strategy=shallow', '--no-audit', '--no-fund'],
			{
				cwd: dest,
				stdio: 'inherit',
			},
		);
	}
	for (const f of [...(manifest.n8n?.nodes ?? []), ...(manifest.n8n?.credentials ?? [])]) {
		if (!fs.existsSync(path.join(dest, f)))
			throw new Error(`packed package lacks ${f} (listed in package.json "n8n")`);
	}
	log(`installed ${pkg.name}@${manifest.version} into ${dest}`);
	return dest;
}
