// Heap measurement for tests and the bench. Plain CommonJS so it may use `process`, `v8` and `vm`
// (the lint rules for .ts files forbid them). `gc` is exposed at run time, so no node flag is needed.
'use strict';
const v8 = require('v8');
const vm = require('vm');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

/** Heap in use after two full garbage collections, in bytes. */
function settledHeapUsed() {
	gc();
	gc();
	return process.memoryUsage().heapUsed;
}

/** Peak resident set size of this process so far, in bytes. */
function maxRss() {
	return process.resourceUsage().maxRSS * 1024;
}

module.exports = { settledHeapUsed, maxRss };
