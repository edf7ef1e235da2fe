/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// the pinned n8n manifests (one per version) are not modules of this package
	modulePathIgnorePatterns: ['<rootDir>/test/e2e/n8n-install/'],
	transform: {
		// isolatedModules: transpile only; type checking is `npm run typecheck`.
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', isolatedModules: true }],
	},
	testTimeout: 30000,
	reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
