/** Types of repoFiles.js: the repository's own files, for tests that hold docs against code. */
export function readRepoFile(relative: string): string;
export function listRepoFolder(relative: string): string[];
export function repoFileExists(relative: string): boolean;
