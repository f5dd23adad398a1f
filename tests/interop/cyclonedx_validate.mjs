// Validate CycloneDX 1.6 JSON documents with the OWASP CycloneDX JavaScript library
// (@cyclonedx/cyclonedx-library), independent of modelseal, for the SBOM tests.
//
// Usage: node cyclonedx_validate.mjs FILE...
//
// Each FILE goes through the library's JsonStrictValidator for spec version 1.6: the official
// bom-1.6 JSON schema the library bundles (with its SPDX license, JSF and cryptography
// definitions), compiled by ajv with ajv-formats and ajv-formats-draft2019, so unknown fields,
// wrong types, bad enums and malformed formats are errors. The document must also say it is
// CycloneDX 1.6 (bomFormat, specVersion), so a file of another version is not validated against
// the wrong schema.
//
// Packages: from $MS_NODE_PREFIX/node_modules when that is set (the test's install, see
// test_sbom.sh), else next to this script (tests/interop/node_modules), then NODE_PATH.
// Prints "valid: FILE" on stdout per file, or "invalid: FILE: ..." (one line per schema error,
// at most 20) / "usage: ..." on stderr. Exit status: 0 all valid, 1 one is not, 2 usage or
// unreadable input.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

function usage(msg) {
    console.error(`usage: ${msg}`);
    process.exit(2);
}

const prefix = process.env.MS_NODE_PREFIX;
const require = createRequire(prefix ? join(prefix, 'package.json') : import.meta.url);
let CDX;
try {
    CDX = require('@cyclonedx/cyclonedx-library');
} catch (e) {
    usage(`cannot load @cyclonedx/cyclonedx-library (run npm ci in tests/interop): ${e.message.split('\n')[0]}`);
}

const files = process.argv.slice(2);
if (files.length === 0) usage('node cyclonedx_validate.mjs FILE...');

const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);
let failed = 0;
for (const file of files) {
    let text;
    try {
        text = readFileSync(file, 'utf8');
    } catch (e) {
        usage(`cannot read ${file}: ${e.message}`);
    }
    let doc;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        console.error(`invalid: ${file}: not JSON: ${e.message}`);
        failed++;
        continue;
    }
    if (doc === null || typeof doc !== 'object' || doc.bomFormat !== 'CycloneDX' || doc.specVersion !== '1.6') {
        console.error(`invalid: ${file}: not a CycloneDX 1.6 document (bomFormat/specVersion)`);
        failed++;
        continue;
    }
    let errors;
    try {
        errors = await validator.validate(text);
    } catch (e) {
        usage(`the validator cannot run (missing ajv, ajv-formats or ajv-formats-draft2019?): ${e.message.split('\n')[0]}`);
    }
    if (errors === null) {
        console.log(`valid: ${file}`);
        continue;
    }
    failed++;
    for (const err of errors.slice(0, 20)) {
        const where = err.instancePath || '/';
        const extra = err.params && Object.keys(err.params).length ? ` ${JSON.stringify(err.params)}` : '';
        console.error(`invalid: ${file}: ${where}: ${err.message}${extra}`);
    }
}
process.exit(failed ? 1 : 0);
