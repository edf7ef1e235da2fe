// The action node as an AI tool, through n8n 2.41's own code (lib/tool-probe.cjs, with the pinned Node and n8n's
// modules): the tool description n8n offers says why Webhook → Create leaves the key out, and the contexts
// n8n-core runs a tool on make the node withhold the key (runsAsTool); a plain execution does not.
// The key's absence from the output, given that signal, is covered by test/unit/action-webhook.test.ts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, assertEqual } from './checks.mjs';
import { installIntoUserFolder } from './package.mjs';
import { preparePackage } from './stack.mjs';

const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tool-probe.cjs');

export async function tool({ checks, runDir, install }) {
	const tarball = await preparePackage(runDir);
	const home = path.join(runDir, 'tool-probe-home');
	fs.mkdirSync(home, { recursive: true });
	const pkgDir = installIntoUserFolder(tarball, home);
	let result;
	await checks.check(
		"tool: n8n's tool variant of the Protime node says in its tool description why Webhook → Create leaves the key out",
		async () => {
			result = JSON.parse(
				execFileSync(install.nodeBin, [probe, pkgDir], {
					env: { ...process.env, NODE_PATH: install.n8nModules, NODE_OPTIONS: '' },
					encoding: 'utf8',
					stdio: ['ignore', 'pipe', 'pipe'],
				})
					.trim()
					.split('\n')
					.at(-1),
			);
			assertEqual(result.toolName, 'protimeTool', 'tool node name');
			assert(
				/one-time signing key out of its output/.test(String(result.toolDescriptionDefault)),
				`tool description: ${result.toolDescriptionDefault}`,
			);
		},
	);
	await checks.check(
		"tool: n8n-core's tool contexts (SupplyDataContext on ai_tool, a rewired ExecuteContext) make the node withhold the key; a plain execution does not",
		async () => {
			assert(result, 'the probe did not run');
			assertEqual(
				result.contexts,
				{
					supplyDataAiTool: { isToolExecution: true, runsAsTool: true },
					executeRewired: { isToolExecution: false, runsAsTool: true },
					executePlain: { isToolExecution: false, runsAsTool: false },
				},
				'per context',
			);
		},
	);
}
