/**
 * The JSON Schemas in schemas/ held against every `--json` document the CLI tests parse, so a shape
 * cannot drift without a test failing (and the schema, which users script against, being updated).
 *
 * Strict mode (tests only): the published schemas let an object carry properties they do not list
 * (forward-compatible: fields are only ever added within a version, README "JSON Schemas"), so a
 * document could gain, lose or rename a field and still pass. Here every object schema that lists
 * `properties` — and every `$ref` to a shared definition — is closed with `unevaluatedProperties:
 * false` as the schemas are loaded, unless it says how extra keys are treated itself
 * (`additionalProperties`, `patternProperties`, `unevaluatedProperties`): a document may carry only
 * what its schema describes. `unevaluated` rather than `additional` so compositions keep working:
 * a top-level `$defs` entry is not closed itself but where it is used, except as an `allOf` member
 * (common's checkedRecord = `allOf: [record]` + its own keys is closed as a whole, record's keys
 * included). The files in schemas/ are not changed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { AnySchema, ValidateFunction } from 'ajv';

// ajv is CommonJS; its 2020-12 build is loaded with require() to sidestep ESM default-export interop.
interface Ajv { addSchema(schema: AnySchema): unknown; getSchema(id: string): ValidateFunction | undefined }
const Ajv2020 = (createRequire(import.meta.url)('ajv/dist/2020') as { default: new (opts: object) => Ajv }).default;

const DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));
const BASE = 'https://mailsetup.dev/schemas/v1/';

let ajv: Ajv | null = null;
const compiled = new Map<string, ValidateFunction>();

function load(): Ajv {
  if (ajv) return ajv;
  // Formats (date-time) are documentation here; types, enums, patterns and required fields are checked.
  ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, validateFormats: false });
  const files = readdirSync(DIR).filter((x) => x.endsWith('.schema.json'));
  for (const s of strictSchemas(files.map((f) => JSON.parse(readFileSync(DIR + f, 'utf8')) as AnySchema))) ajv.addSchema(s);
  return ajv;
}

type Node = { [k: string]: unknown };
const isNode = (x: unknown): x is Node => typeof x === 'object' && x !== null && !Array.isArray(x);
const OPEN_KEYS = ['additionalProperties', 'patternProperties', 'unevaluatedProperties'];

/**
 * `schemas` (each with its `$id`) with every object they describe closed, as the top of this file
 * says: copies, the published files are left as they are. A `$ref` to an object definition is
 * closed with the definition's `type` repeated beside it (ajv's strictTypes wants one where
 * `unevaluatedProperties` is used); a `$ref` to a definition without a `type` is left as it is (its
 * own branches are closed), and one to a definition of another type has nothing to close.
 */
export function strictSchemas<T>(schemas: T[]): T[] {
  const byId = new Map((schemas as unknown[]).filter(isNode).map((s) => [String(s.$id), s]));
  const target = (ref: string, base: string): Node | undefined => {
    const m = /^([^#]*)#?(.*)$/.exec(ref)!;
    let node: unknown = byId.get(m[1] || base);
    for (const part of (m[2] ?? '').split('/').filter(Boolean)) node = isNode(node) ? node[decodeURIComponent(part)] : undefined;
    return isNode(node) ? node : undefined;
  };
  /** The key and values a oneOf of `$ref`s is told apart by: a property every branch requires, with a const each. */
  const discriminated = (branches: unknown[], base: string): { key: string; values: unknown[] } | null => {
    const targets = branches.map((b) => (isNode(b) && typeof b.$ref === 'string' && Object.keys(b).length === 1 ? target(b.$ref, base) : undefined));
    if (targets.length < 2 || !targets.every(isNode)) return null;
    const props = (t: Node) => (isNode(t.properties) ? t.properties : {});
    for (const key of Object.keys(props(targets[0]!))) {
      const values = targets.map((t) => { const p = props(t!)[key]; return isNode(p) && 'const' in p && Array.isArray(t!.required) && t!.required.includes(key) ? p.const : undefined; });
      if (values.every((v) => v !== undefined) && new Set(values).size === values.length) return { key, values };
    }
    return null;
  };
  const close = (schema: Node): Node => {
    const base = String(schema.$id);
    const walk = (node: unknown, where: 'root' | 'def' | 'allOf' | 'other'): unknown => {
      if (Array.isArray(node)) return node.map((n) => walk(n, 'other'));
      if (!isNode(node)) return node;
      const out: Node = {};
      for (const [k, v] of Object.entries(node)) {
        if (k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'dependentSchemas') {
          // Maps of name → schema (not schemas themselves).
          out[k] = isNode(v) ? Object.fromEntries(Object.entries(v).map(([n, sub]) => [n, walk(sub, k === '$defs' && where === 'root' ? 'def' : 'other')])) : v;
        } else if (k === 'allOf' && Array.isArray(v)) {
          out[k] = v.map((n) => walk(n, 'allOf'));
        } else if (k === 'enum' || k === 'const' || k === 'required' || k === 'examples' || k === 'default') {
          out[k] = v;
        } else {
          out[k] = walk(v, 'other');
        }
      }
      const tagged = Array.isArray(node.oneOf) ? discriminated(node.oneOf, base) : null;
      if (tagged) {
        // A oneOf told apart by a const (validate's checks by `check`, add's notes by `kind`): as
        // if/then on that key, so a failure names the branch meant rather than every branch's.
        const branches = out.oneOf as unknown[];
        delete out.oneOf;
        out.allOf = [...(Array.isArray(out.allOf) ? out.allOf : []),
          { type: 'object', required: [tagged.key], properties: { [tagged.key]: { enum: tagged.values } } },
          ...tagged.values.map((v, i) => ({ if: { type: 'object', required: [tagged.key], properties: { [tagged.key]: { const: v } } }, then: branches[i] }))];
      }
      if (OPEN_KEYS.some((k) => k in node)) return out;
      if ('properties' in node && where !== 'def') {
        out.unevaluatedProperties = false;
      } else if (typeof node.$ref === 'string' && where !== 'allOf') {
        const t = target(node.$ref, base);
        if (!t) throw new Error(`${base}: $ref ${node.$ref} points nowhere`);
        const objectType = t.type === 'object' || (Array.isArray(t.type) && t.type.includes('object'));
        if (objectType && !('type' in node)) Object.assign(out, { type: t.type, unevaluatedProperties: false });
      }
      return out;
    };
    return walk(schema, 'root') as Node;
  };
  return schemas.map((s) => (isNode(s) ? close(s) as T : s));
}

/** The schema kinds there are (file names without `.schema.json`). */
export function schemaKinds(): string[] {
  return readdirSync(DIR).filter((x) => x.endsWith('.schema.json')).map((x) => x.replace(/\.schema\.json$/, ''));
}

/** Throws, listing every violation, when `doc` does not match schemas/<kind>.schema.json. */
export function assertSchema(kind: string, doc: unknown): void {
  let validate = compiled.get(kind);
  if (!validate) {
    const fn = load().getSchema(`${BASE}${kind}.json`);
    if (!fn) throw new Error(`no JSON Schema for "${kind}" in schemas/`);
    validate = fn as ValidateFunction;
    compiled.set(kind, validate);
  }
  if (!validate(doc)) {
    // A union (validate's checks, add's notes) reports every branch that did not match; the branch
    // that was meant fails on something other than its discriminating `const`, so that comes first.
    const rank = (k: string) => (k === 'const' || k === 'oneOf' || k === 'anyOf' ? 1 : 0);
    const errors = [...(validate.errors ?? [])].sort((a, b) => rank(a.keyword) - rank(b.keyword))
      .map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new Error(`--json document does not match schemas/${kind}.schema.json:\n  ${errors.slice(0, 12).join('\n  ')}`);
  }
}
