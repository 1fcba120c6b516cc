/**
 * The JSON Schemas in schemas/ held against every `--json` document the CLI tests parse, so a shape
 * cannot drift without a test failing (and the schema, which users script against, being updated).
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
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(DIR + f, 'utf8')));
  return ajv;
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
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new Error(`--json document does not match schemas/${kind}.schema.json:\n  ${errors.slice(0, 12).join('\n  ')}`);
  }
}
