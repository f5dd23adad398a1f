// Validate SPDX 3.0.1 JSON-LD documents against the official SPDX 3.0.1 JSON schema with ajv
// (Draft 2020-12, strict mode, the `format` keywords checked by ajv-formats), independent of
// modelseal, for the SBOM tests. tests/interop/spdx_validate.py does the same with Debian's
// python3-jsonschema; this one compiles the schema once, so it takes a second where the Python
// one takes several per document.
//
// Usage: node spdx_validate.mjs SCHEMA FILE...
//
// Packages: from $MS_NODE_PREFIX/node_modules when that is set (the tests' install, see
// sigstore_js_env.sh), else next to this script, then NODE_PATH. Prints "valid: FILE" on stdout
// per file, or "invalid: FILE: PATH: MESSAGE" lines on stderr (at most 20 per file, the deepest
// instance paths first: the schema is a union of classes, and the deepest error names the field
// that is wrong rather than "matches none of the classes"). Exit status: 0 all valid, 1 one is
// not, 2 usage, unreadable input or a missing package.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const CONTEXT = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld';

function usage(msg) {
    console.error(`usage: ${msg}`);
    process.exit(2);
}

const prefix = process.env.MS_NODE_PREFIX;
const require = createRequire(prefix ? join(prefix, 'package.json') : import.meta.url);
let Ajv2020, addFormats;
try {
    Ajv2020 = require('ajv/dist/2020').default;
    addFormats = require('ajv-formats').default ?? require('ajv-formats');
} catch (e) {
    usage(`cannot load ajv / ajv-formats (run npm ci in tests/interop): ${e.message.split('\n')[0]}`);
}

const [schemaPath, ...files] = process.argv.slice(2);
if (!schemaPath || files.length === 0) usage('node spdx_validate.mjs SCHEMA FILE...');
let schema;
try {
    schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
} catch (e) {
    usage(`cannot read the schema ${schemaPath}: ${e.message}`);
}
if (schema.$schema !== 'https://json-schema.org/draft/2020-12/schema')
    usage(`${schemaPath}: not a Draft 2020-12 schema`);
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

let failed = 0;
for (const file of files) {
    let doc;
    try {
        doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
        if (e instanceof SyntaxError) {
            console.error(`invalid: ${file}: not JSON: ${e.message}`);
            failed++;
            continue;
        }
        usage(`cannot read ${file}: ${e.message}`);
    }
    if (doc === null || typeof doc !== 'object' || doc['@context'] !== CONTEXT) {
        console.error(`invalid: ${file}: not an SPDX 3.0.1 JSON-LD document (@context)`);
        failed++;
        continue;
    }
    if (validate(doc)) {
        console.log(`valid: ${file}`);
        continue;
    }
    failed++;
    const depth = (e) => (e.instancePath.match(/\//g) || []).length;
    const lines = [];
    for (const err of [...validate.errors].sort((a, b) => depth(b) - depth(a))) {
        const extra = err.params?.allowedValues ? ` ${JSON.stringify(err.params.allowedValues)}` : '';
        const line = `${err.instancePath || '/'}: ${err.message}${extra}`;
        if (!lines.includes(line)) lines.push(line);
    }
    for (const line of lines.slice(0, 20)) console.error(`invalid: ${file}: ${line}`);
}
process.exit(failed ? 1 : 0);
