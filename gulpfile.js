// Copies what tsc does not emit: the light/dark SVG icons and the output-schema JSON files.
const { src, dest, parallel } = require('gulp');

function copyIcons() {
	return src(['nodes/**/*.svg', 'credentials/**/*.svg', 'icons/**/*.svg'], {
		base: '.',
		encoding: false,
	}).pipe(dest('dist'));
}

function copySchemas() {
	return src(['nodes/**/__schema__/**/*.json'], { base: '.', allowEmpty: true }).pipe(dest('dist'));
}

exports['build:icons'] = parallel(copyIcons, copySchemas);
