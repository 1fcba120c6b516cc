// Generates src/model/psl-icann.ts: the part of the Public Suffix List that organisationalDomain()
// needs (the ICANN section), taken from the list the installed `tldts` package ships, so that the
// CLI does not load tldts's whole list (ICANN and private sections, ~190 KB of typed-array literals
// plus a hashing pass at import) on every `validate`. See src/model/domain-name.ts for why.
//
// `node scripts/psl-icann.mjs` rewrites the file; `--check` exits 1 when it is out of date (a unit
// test runs the same comparison, so upgrading tldts without regenerating fails the suite).
//
// tldts keeps its list as a trie in module-private constants (nodeFlags, edgeStart, edgeLength,
// edgeChild, labelText, rulesRoot, exceptionsRoot); they are read from its CommonJS build. Each
// node's flag says whether a rule ends there (1 = ICANN section, 2 = private section). Kept, for
// each of the two tries (rules and exceptions):
// - every node where an ICANN rule ends, and the nodes on the way to one;
// - a node with no ICANN rule at or below it only when its parent also has a `*` edge: tldts takes
//   an exact label's edge before the wildcard, so such a node (a private-section name under an
//   ICANN wildcard) changes what the wildcard matches, and must stay to give tldts's answers.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'src/model/psl-icann.ts');

/** The trie constants of the installed tldts build. */
function readTldtsTrie() {
  const require = createRequire(join(root, 'package.json'));
  const file = require.resolve('tldts');
  const version = JSON.parse(readFileSync(join(dirname(file), '../../package.json'), 'utf8')).version;
  const src = readFileSync(file, 'utf8');
  const start = src.indexOf('const nodeFlags =');
  const endMark = /const exceptionsRoot = \d+;/.exec(src);
  if (start === -1 || !endMark) throw new Error(`tldts ${version}: its trie constants (nodeFlags … exceptionsRoot) were not found; scripts/psl-icann.mjs must follow its new layout`);
  const code = `${src.slice(start, endMark.index + endMark[0].length)}\n({ nodeFlags, edgeStart, edgeLength, edgeChild, labelText, rulesRoot, exceptionsRoot })`;
  return { version, ...vm.runInNewContext(code.replaceAll('/*#__PURE__*/', ''), { Uint8Array, Uint16Array, Uint32Array }) };
}

/** [path, isIcannRule] of the kept nodes of the trie under `rootNode`; path in domain order ("co.uk"). */
function keptNodes(t, rootNode) {
  const offsets = [];
  for (let e = 0, off = 0; e < t.edgeLength.length; e += 1) { offsets.push(off); off += t.edgeLength[e]; }
  const edges = (node) => {
    const out = [];
    for (let e = t.edgeStart[node]; e < t.edgeStart[node + 1]; e += 1) out.push([t.labelText.slice(offsets[e], offsets[e] + t.edgeLength[e]), t.edgeChild[e]]);
    return out;
  };
  const memo = new Map();
  const hasIcann = (node) => {
    if (!memo.has(node)) memo.set(node, (t.nodeFlags[node] & 1) !== 0 || edges(node).some(([, c]) => hasIcann(c)));
    return memo.get(node);
  };
  const kept = [];
  const visit = (node, path) => {
    const children = edges(node);
    const wildcard = children.some(([label]) => label === '*');
    for (const [label, child] of children) {
      const p = path === '' ? label : `${label}.${path}`;
      if (hasIcann(child)) {
        kept.push([p, (t.nodeFlags[child] & 1) !== 0]);
        visit(child, p);
      } else if (wildcard && label !== '*') {
        kept.push([p, false]);
      }
    }
  };
  visit(rootNode, '');
  return kept;
}

/**
 * One string per trie: the nodes grouped by parent, each group `;parent:label,label,?label` (a
 * leading `?` marks a node where no ICANN rule ends), so `;uk:ac,co,gov` holds ac.uk, co.uk and
 * gov.uk, and `;:` starts the top-level labels. The lookup finds a parent's group with one indexOf
 * and a label in it with another, so nothing is decoded up front.
 */
function encode(nodes) {
  const groups = new Map();
  for (const [path, icann] of nodes) {
    const dot = path.indexOf('.');
    const parent = dot === -1 ? '' : path.slice(dot + 1);
    const label = dot === -1 ? path : path.slice(0, dot);
    if (!groups.has(parent)) groups.set(parent, []);
    groups.get(parent).push(icann ? label : `?${label}`);
  }
  return [...groups].map(([parent, labels]) => `;${parent}:${labels.join(',')}`).join('');
}

/** Every node path of both tries, private section included ('*' as is): the names the unit test checks. */
export function allPaths() {
  const t = readTldtsTrie();
  const offsets = [];
  for (let e = 0, off = 0; e < t.edgeLength.length; e += 1) { offsets.push(off); off += t.edgeLength[e]; }
  const out = new Set();
  const visit = (node, path) => {
    for (let e = t.edgeStart[node]; e < t.edgeStart[node + 1]; e += 1) {
      const label = t.labelText.slice(offsets[e], offsets[e] + t.edgeLength[e]);
      const p = path === '' ? label : `${label}.${path}`;
      out.add(p);
      visit(t.edgeChild[e], p);
    }
  };
  visit(t.rulesRoot, '');
  visit(t.exceptionsRoot, '');
  return [...out];
}

export function generate() {
  const t = readTldtsTrie();
  const rules = encode(keptNodes(t, t.rulesRoot));
  for (const label of t.labelText.matchAll(/[,;:?]/g)) throw new Error(`tldts ${t.version}: a label holds "${label[0]}", which the encoding uses`);
  const exceptions = encode(keptNodes(t, t.exceptionsRoot));
  return `// Generated by scripts/psl-icann.mjs from tldts ${t.version}'s copy of the Public Suffix List. Do not edit.\n`
    + `// The nodes of its ICANN-section trie; the format is described in that script.\n`
    + `export const RULES = ${JSON.stringify(rules)};\n`
    + `export const EXCEPTIONS = ${JSON.stringify(exceptions)};\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = generate();
  let current = '';
  try { current = readFileSync(OUT, 'utf8'); } catch { /* first run */ }
  if (process.argv.includes('--check')) {
    if (current !== text) { console.error('src/model/psl-icann.ts is out of date: run node scripts/psl-icann.mjs'); process.exitCode = 1; }
  } else if (current !== text) {
    writeFileSync(OUT, text);
    console.log(`wrote ${OUT} (${text.length} bytes)`);
  }
}
