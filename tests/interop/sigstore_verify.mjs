// Verify a Sigstore bundle with sigstore-js (@sigstore/verify), an implementation independent of
// modelseal, for the interop tests.
//
// Usage: node sigstore_verify.mjs [--node-default-hash] BUNDLE PUBLIC_KEY.pem [ARTIFACT]
//
// The bundle is parsed and validated by @sigstore/bundle (bundleFromJSON) and verified by
// @sigstore/verify's Verifier: the DSSE signature over the PAE, with the caller's public key.
// That key is the only trust material: it is registered under the key ids a bundle may name it
// by in verificationMaterial.publicKey.hint (hex SHA-256 of its canonical SPKI PEM, and of the
// PEM file's bytes), so a bundle naming another key is refused ("key not found"). Key-based
// bundles are offline: no transparency log entry, SCT or timestamp is required (thresholds 0);
// any tlog entry a bundle does carry is still checked, and then fails (no log is trusted).
// A DSSE payload must be an in-toto Statement v1 (any predicate); that part is checked here.
// ARTIFACT is for message-signature bundles only (the signed file itself).
//
// ECDSA P-384 / P-521 and DSSE: @sigstore/verify checks a DSSE signature with
// crypto.verify(undefined, PAE, key, sig) (@sigstore/verify dist/bundle/dsse.js, through
// @sigstore/core crypto.verify), and for an EC key Node/OpenSSL then hash with SHA-256 whatever
// the curve; OMS (model_signing) and modelseal sign P-384 with SHA-384 and P-521 with SHA-512,
// so those signatures are refused. For such keys this script keeps the Verifier's every other
// step and replaces only the entity's signature primitive with @sigstore/core's crypto.verify
// over the same PAE with the curve's hash (the result line says so). --node-default-hash turns
// that off, to show the upstream behaviour.
//
// Packages: from $MS_SIGSTORE_JS_PREFIX/node_modules when that is set (the test's install, see
// test_sigstore_js.sh), else next to this script (tests/interop/node_modules), then NODE_PATH.
// Prints one line: "verified: ..." on stdout, or "refused: ..." / "usage: ..." on stderr.
// Exit status: 0 verified, 1 refused, 2 usage or unreadable input.

import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

function usage(msg) {
    console.error(`usage: ${msg}`);
    process.exit(2);
}

const prefix = process.env.MS_SIGSTORE_JS_PREFIX;
const require = createRequire(prefix ? join(prefix, 'package.json') : import.meta.url);
let bundleFromJSON, Verifier, toSignedEntity, toTrustMaterial, PublicKeyDetails, core;
try {
    ({ bundleFromJSON } = require('@sigstore/bundle'));
    ({ Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify'));
    ({ PublicKeyDetails } = require('@sigstore/protobuf-specs'));
    core = require('@sigstore/core');
} catch (e) {
    const why = e.message.split('\n')[0];
    usage(`cannot load the sigstore-js packages (run npm ci in tests/interop): ${why}`);
}

function refuse(msg) {
    console.error(`refused: ${msg}`);
    process.exit(1);
}

const sha256hex = (data) => createHash('sha256').update(data).digest('hex');

// The protobuf-specs key details for a Node KeyObject (informational for the trust root; the
// verifier uses the key object itself).
function keyDetails(key) {
    if (key.asymmetricKeyType === 'ed25519') return PublicKeyDetails.PKIX_ED25519;
    if (key.asymmetricKeyType === 'ec') {
        const curve = key.asymmetricKeyDetails.namedCurve;
        if (curve === 'prime256v1') return PublicKeyDetails.PKIX_ECDSA_P256_SHA_256;
        if (curve === 'secp384r1') return PublicKeyDetails.PKIX_ECDSA_P384_SHA_384;
        if (curve === 'secp521r1') return PublicKeyDetails.PKIX_ECDSA_P521_SHA_512;
    }
    return PublicKeyDetails.PUBLIC_KEY_DETAILS_UNSPECIFIED;
}

// The in-toto Statement v1 rules every DSSE payload we sign follows, whatever its predicate.
function checkStatement(envelope) {
    if (envelope.payloadType !== PAYLOAD_TYPE) {
        refuse(`dsseEnvelope.payloadType is '${envelope.payloadType}', not ${PAYLOAD_TYPE}`);
    }
    let st;
    try {
        st = JSON.parse(Buffer.from(envelope.payload).toString('utf8'));
    } catch (e) {
        refuse(`dsseEnvelope.payload is not JSON: ${e.message}`);
    }
    if (st === null || typeof st !== 'object' || Array.isArray(st)) refuse('statement is not an object');
    if (st._type !== STATEMENT_TYPE) refuse(`statement _type is '${st._type}', not ${STATEMENT_TYPE}`);
    if (!Array.isArray(st.subject) || st.subject.length === 0) refuse('statement has no subject');
    for (const [i, s] of st.subject.entries()) {
        if (s === null || typeof s !== 'object' || typeof s.name !== 'string') {
            refuse(`statement subject[${i}] has no name`);
        }
        const d = s.digest;
        if (d === null || typeof d !== 'object' || Array.isArray(d) || Object.keys(d).length === 0) {
            refuse(`statement subject[${i}].digest is not a non-empty object`);
        }
        for (const [alg, hex] of Object.entries(d)) {
            if (typeof hex !== 'string' || !/^[0-9a-f]+$/.test(hex)) {
                refuse(`statement subject[${i}].digest.${alg} is not lowercase hex`);
            }
        }
    }
    if (typeof st.predicateType !== 'string' || st.predicateType === '') {
        refuse('statement has no predicateType');
    }
    return st;
}

// A short name for the key's type: ed25519, ecdsa-p256, ...
function keyName(key) {
    if (key.asymmetricKeyType !== 'ec') return key.asymmetricKeyType;
    const curves = { prime256v1: 'p256', secp384r1: 'p384', secp521r1: 'p521' };
    const curve = key.asymmetricKeyDetails.namedCurve;
    return `ecdsa-${curves[curve] ?? curve}`;
}

// The hash ECDSA on this key's curve is used with in OMS, when it is not SHA-256 (else null).
function curveHash(key) {
    if (key.asymmetricKeyType !== 'ec') return null;
    const curve = key.asymmetricKeyDetails.namedCurve;
    if (curve === 'secp384r1') return 'sha384';
    if (curve === 'secp521r1') return 'sha512';
    return null;
}

const args = process.argv.slice(2);
let nodeDefaultHash = false;
if (args[0] === '--node-default-hash') {
    nodeDefaultHash = true;
    args.shift();
}
if (args.length < 2 || args.length > 3) {
    usage('node sigstore_verify.mjs [--node-default-hash] BUNDLE PUBLIC_KEY.pem [ARTIFACT]');
}
const [bundlePath, keyPath, artifactPath] = args;

let json, pemBytes, key, artifact;
try {
    json = JSON.parse(readFileSync(bundlePath, 'utf8'));
} catch (e) {
    usage(`${bundlePath}: cannot read the bundle as JSON: ${e.message}`);
}
try {
    pemBytes = readFileSync(keyPath);
    key = createPublicKey(pemBytes);
} catch (e) {
    usage(`${keyPath}: cannot read a public key: ${e.message}`);
}
if (artifactPath !== undefined) {
    try {
        artifact = readFileSync(artifactPath);
    } catch (e) {
        usage(`${artifactPath}: cannot read the artifact: ${e.message}`);
    }
}

let bundle;
try {
    bundle = bundleFromJSON(json);
} catch (e) {
    const fields = Array.isArray(e.fields) ? ` (${e.fields.join(', ')})` : '';
    refuse(`${bundlePath}: not a valid Sigstore bundle: ${e.message}${fields}`);
}
const isDsse = bundle.content.$case === 'dsseEnvelope';
if (isDsse && artifact !== undefined) usage('ARTIFACT applies to message-signature bundles, not DSSE');
if (!isDsse && artifact === undefined) usage('a message-signature bundle needs ARTIFACT');

// The caller's key, under both ids a hint may use; no logs, CAs or timestamp authorities.
const spkiPem = key.export({ type: 'spki', format: 'pem' });
const trusted = {
    rawBytes: key.export({ type: 'spki', format: 'der' }),
    keyDetails: keyDetails(key),
};
const keys = { [sha256hex(spkiPem)]: trusted, [sha256hex(pemBytes)]: trusted };
const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
};
const verifier = new Verifier(toTrustMaterial(trustedRoot, keys), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
});

let signer, entity;
const hash = isDsse && !nodeDefaultHash ? curveHash(key) : null;
try {
    entity = toSignedEntity(bundle, artifact);
    if (hash !== null) {
        const content = entity.signature;
        content.verifySignature = (k) =>
            core.crypto.verify(content.preAuthEncoding, k, content.signature, hash);
    }
    signer = verifier.verify(entity);
} catch (e) {
    refuse(`${e.code ? e.code + ': ' : ''}${e.message}`);
}
// Belt and braces: the key the verifier used is the caller's.
if (!signer.key.equals(key)) refuse('the verifier used a key other than the one given');

if (isDsse) {
    const st = checkStatement(bundle.content.dsseEnvelope);
    console.log(
        `verified: DSSE ${st.predicateType}, ${st.subject.length} subject(s), ` +
            `${keyName(key)} key ${sha256hex(spkiPem)}` +
            (hash === null ? '' : `, signature checked by @sigstore/core crypto.verify with ${hash}`)
    );
} else {
    console.log(`verified: message signature, ${keyName(key)} key ${sha256hex(spkiPem)}`);
}
process.exit(0);
