#!/usr/bin/env node
// n8n's real verification scanner (@n8n/scan-community-package, a devDependency) runs in the e2e `registry` module
// (test/e2e/lib/scan.mjs) against the package published to a local registry. This file covers only what that
// run cannot:
//   - the lint gate before anything is built or published (`npm run lint`, GitHub's ci.yml, which has no e2e);
//   - the rules of the newer @n8n/eslint-plugin-community-nodes that @n8n/node-cli 0.48.3 carries (0.32.0), where
//     the scanner 0.32.0 pins 0.29.0 (rules newer than the scanner's, which n8n-node lint applies too);
//   - every .ts and .json file of the repository (tests, simulator, e2e manifests), as earlier scanner releases
//     linted them, not only package.json and nodes/, credentials/.
// It builds the scanner's config (community `recommended`, no-console, the three legacy nodes-base rule sets) with
// our eslint.config.mjs and inline `eslint-disable` comments ignored. `--dist`: the scanner's tarball leg instead,
// dist/**/*.js and package.json. The rule plugins are resolved through @n8n/node-cli.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fromCli = createRequire(path.join(root, 'node_modules', '@n8n', 'node-cli', 'package.json'));
const load = async (name) => import(pathToFileURL(fromCli.resolve(name)).href);

/** The scanner's flat config: community `recommended`, no-console, the three legacy nodes-base rule sets. */
async function scannerConfig() {
	const { n8nCommunityNodesPlugin } = await load('@n8n/eslint-plugin-community-nodes');
	const nodesBase = (await load('eslint-plugin-n8n-nodes-base')).default;
	const { parser } = (await load('typescript-eslint')).default;
	const recommended = n8nCommunityNodesPlugin.configs.recommended;
	return [
		...(Array.isArray(recommended) ? recommended : [recommended]),
		{ rules: { 'no-console': 'error' } },
		{ plugins: { 'n8n-nodes-base': nodesBase } },
		{ files: ['package.json'], rules: { ...nodesBase.configs.community.rules } },
		{
			files: ['**/credentials/**/*.ts'],
			rules: {
				...nodesBase.configs.credentials.rules,
				// switched off by the scanner too (not valid for community nodes / covered by a community rule)
				'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
				'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
			},
		},
		{
			files: ['**/nodes/**/*.ts'],
			rules: {
				...nodesBase.configs.nodes.rules,
				// switched off by the scanner too
				'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
				'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
				'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
			},
		},
		{ files: ['**/*.json', '**/*.ts'], languageOptions: { parser } },
	];
}

/** The repository's own files (git's list on a clone; a walk when there is no git), lockfiles excepted. */
function sourceFiles() {
	let files;
	try {
		files = execFileSync(
			'git',
			['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.json'],
			{ cwd: root, encoding: 'utf8' },
		)
			.split('\n')
			.filter(Boolean);
	} catch {
		files = walk('.').filter((f) => /\.(ts|json)$/.test(f));
	}
	return files.filter(
		(f) => path.basename(f) !== 'package-lock.json' && fs.existsSync(path.join(root, f)),
	);
}

function walk(dir) {
	const skip = new Set(['node_modules', 'dist', '.git', '.e2e']);
	return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
		const rel = path.join(dir, e.name);
		if (e.isDirectory()) return skip.has(e.name) ? [] : walk(rel);
		return [rel];
	});
}

async function main() {
	const { ESLint } = await import(
		pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('eslint')).href
	);
	const eslint = new ESLint({
		cwd: root,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: await scannerConfig(),
	});
	let files = sourceFiles();
	if (process.argv.includes('--dist')) {
		if (!fs.existsSync(path.join(root, 'dist')))
			throw new Error('dist/ is missing: run `npm run build` first');
		files = ['package.json', ...walk('dist').filter((f) => f.endsWith('.js'))];
	}
	const results = await eslint.lintFiles(files.map((f) => path.join(root, f)));
	const errors = results.reduce((n, r) => n + r.errorCount, 0);
	const warnings = results.reduce((n, r) => n + r.warningCount, 0);
	if (errors + warnings > 0)
		process.stdout.write(await (await eslint.loadFormatter('stylish')).format(results));
	process.stdout.write(
		`scanner rules: ${files.length} files, ${errors} errors, ${warnings} warnings\n`,
	);
	process.exitCode = errors > 0 ? 1 : 0;
}

main().catch((err) => {
	process.stderr.write(`scanner-lint: ${err.message}\n`);
	process.exitCode = 1;
});
