// Verify a keyless Sigstore bundle with sigstore-js (@sigstore/verify), independently of
// modelseal, against a given trusted root: the Fulcio chain, the embedded SCT, the transparency
// log entry (inclusion proof, checkpoint, and signed entry timestamp when there is one), the
// timestamps, the DSSE signature, and the certificate's identity (SAN) and OIDC issuer. Used by
// tests/cli/test_sigstore_sign.sh with the trusted root of tests/interop/mock_sigstore.mjs.
//
// Usage: node sigstore_verify_keyless.mjs BUNDLE TRUSTED_ROOT.json IDENTITY ISSUER
//
// At least one transparency log entry, one SCT and one verified timestamp are required.
// The DSSE payload must be an in-toto Statement v1.
// Packages: from $MS_SIGSTORE_JS_PREFIX/node_modules when set, else next to this script.
// Prints "verified: ..." on stdout, or "refused: ..." / "usage: ..." on stderr.
// Exit status: 0 verified, 1 refused, 2 usage or unreadable input.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

function usage(msg) {
    console.error(`usage: ${msg}`);
    process.exit(2);
}
function refuse(msg) {
    console.error(`refused: ${msg}`);
    process.exit(1);
}

const prefix = process.env.MS_SIGSTORE_JS_PREFIX;
const require = createRequire(prefix ? join(prefix, 'package.json') : import.meta.url);
let bundleFromJSON, Verifier, toSignedEntity, toTrustMaterial, TrustedRoot;
try {
    ({ bundleFromJSON } = require('@sigstore/bundle'));
    ({ Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify'));
    ({ TrustedRoot } = require('@sigstore/protobuf-specs'));
} catch (e) {
    usage(`cannot load the sigstore-js packages: ${e.message.split('\n')[0]}`);
}

const args = process.argv.slice(2);
if (args.length !== 4) {
    usage('node sigstore_verify_keyless.mjs BUNDLE TRUSTED_ROOT.json IDENTITY ISSUER');
}
const [bundlePath, rootPath, identity, issuer] = args;

const readJSON = (p, what) => {
    try {
        return JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
        usage(`${p}: cannot read the ${what} as JSON: ${e.message}`);
    }
};
const json = readJSON(bundlePath, 'bundle');
let trustedRoot;
try {
    trustedRoot = TrustedRoot.fromJSON(readJSON(rootPath, 'trusted root'));
} catch (e) {
    usage(`${rootPath}: not a trusted root: ${e.message}`);
}

let bundle;
try {
    bundle = bundleFromJSON(json);
} catch (e) {
    const fields = Array.isArray(e.fields) ? ` (${e.fields.join(', ')})` : '';
    refuse(`${bundlePath}: not a valid Sigstore bundle: ${e.message}${fields}`);
}
if (bundle.content.$case !== 'dsseEnvelope') refuse('not a DSSE bundle');
if (bundle.verificationMaterial.content.$case !== 'certificate') {
    refuse(
        `verificationMaterial is ${bundle.verificationMaterial.content.$case}, not a certificate`
    );
}

const verifier = new Verifier(toTrustMaterial(trustedRoot), {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
});
let signer;
try {
    signer = verifier.verify(toSignedEntity(bundle), {
        subjectAlternativeName: identity,
        extensions: { issuer },
    });
} catch (e) {
    refuse(`${e.code ? e.code + ': ' : ''}${e.message}`);
}

const env = bundle.content.dsseEnvelope;
if (env.payloadType !== 'application/vnd.in-toto+json') refuse(`payloadType is ${env.payloadType}`);
let st;
try {
    st = JSON.parse(Buffer.from(env.payload).toString('utf8'));
} catch (e) {
    refuse(`the payload is not JSON: ${e.message}`);
}
if (st?._type !== 'https://in-toto.io/Statement/v1') refuse(`statement _type is '${st?._type}'`);
if (!Array.isArray(st.subject) || st.subject.length === 0) refuse('statement has no subject');
const entries = bundle.verificationMaterial.tlogEntries;
const kinds = entries.map((e) => `${e.kindVersion.kind} ${e.kindVersion.version}`).join(', ');
const stamps = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
console.log(
    `verified: DSSE ${st.predicateType}, ${st.subject.length} subject(s), certificate for ` +
        `${signer.identity.subjectAlternativeName} from ${signer.identity.extensions.issuer}, ` +
        `tlog ${kinds}, ${stamps.length} RFC 3161 timestamp(s)`
);
process.exit(0);
