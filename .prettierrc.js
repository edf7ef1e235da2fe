// Formatting as in n8n's node starter (https://prettier.io/docs/options): tabs, single quotes,
// trailing commas, 100 columns. `npm run format` rewrites, `npm run format:check` only reports.
module.exports = {
	printWidth: 100,
	useTabs: true,
	tabWidth: 2,
	semi: true,
	singleQuote: true,
	quoteProps: 'as-needed',
	trailingComma: 'all',
	bracketSpacing: true,
	arrowParens: 'always',
	endOfLine: 'lf',
};
