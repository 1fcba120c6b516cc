/** The text of src/model/psl-icann.ts as scripts/psl-icann.mjs generates it from the installed tldts. */
export function generate(): string;
/** Every node path of tldts's rule and exception tries, private section included. */
export function allPaths(): string[];
