// Key services on 127.0.0.1 for modelseal's `--key hashivault://` and `--key awskms://` tests:
// HashiCorp Vault's transit engine and AWS KMS, in one node:http server on an ephemeral port.
// The keys are real (node:crypto makes them; ECDSA over a given digest is signed here with
// BigInt arithmetic, since node:crypto signs only messages), so what the mock signs verifies
// with the public keys it reports.
//
//   node mock_kms.mjs --dir DIR --aws-key-id AKID --aws-secret SECRET
//
// Writes DIR/vault_token, DIR/vault-NAME.pub and DIR/aws-NAME.pub (each key's public key, PEM),
// DIR/aws-NAME.id (an AWS key's id), DIR/web_identity_token, DIR/port and then DIR/ready;
// serves until SIGTERM. One line per request in DIR/requests.log (service, what,
// status; never a token).
//
// Vault (paths /v1/...): GET /v1/transit/keys/NAME and POST /v1/transit/sign/NAME. Every request
// must carry X-Vault-Token (else 403, as Vault answers); the key "team-p256" exists only in the
// namespace "team" (X-Vault-Namespace), the others only outside any namespace. ECDSA sign
// requests must be `prehashed` with the curve's hash_algorithm and marshaling_algorithm asn1,
// and name the key's latest key_version.
//
// AWS KMS (POST /, X-Amz-Target TrentService.GetPublicKey or TrentService.Sign): every request's
// Signature Version 4 is checked with @aws-sdk/signature-v4 (an independent implementation) for
// the credentials given on the command line, or those STS gave out (service "kms"; the region the
// credential scope names); a missing or wrong signature is refused (400 InvalidSignatureException, or
// UnrecognizedClientException for an unknown access key). Keys by id, alias/NAME or ARN. Sign
// must say MessageType DIGEST and the key spec's algorithm (ECDSA_SHA_256 for ECC_NIST_P256,
// ECDSA_SHA_384 for ECC_NIST_P384).
//
// Faults are keys of their own, in both services:
//   flaky       the first two requests about it get a 500, later ones are served
//   throttled   the first two get a throttling answer (Vault: 429; AWS: ThrottlingException)
//   flaky-always, throttled-always   every request gets that answer
//   echo-token  (AWS) refused (AccessDeniedException) with a message that quotes the request's
//               session token (X-Amz-Security-Token), as a careless service might
//   slow        a sign request is never answered
//   bad-sig     signs with another key (the answer's key id is right)
//   other-key   (AWS) the Sign answer names another key
//   aes         (Vault) a key of type aes256-gcm96, which cannot sign
//   sym, rsa    (AWS) SYMMETRIC_DEFAULT and RSA_2048 keys
// STS (GET with Action=AssumeRoleWithWebIdentity, as AWS_ENDPOINT_URL_STS points here): the
// WebIdentityToken must be DIR/web_identity_token's and the RoleArn
// arn:aws:iam::111122223333:role/signer; the answer's temporary credentials (with a session
// token, which KMS requests must then carry as X-Amz-Security-Token) sign KMS requests; the
// last session token given out is in DIR/sts_session_token.
// A key that does not exist gets Vault's 404 {"errors":[]} or AWS's NotFoundException.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const opt = {};
for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith('--') || args[i + 1] === undefined) usage(`bad argument ${args[i]}`);
    opt[args[i].slice(2)] = args[i + 1];
}
if (!opt.dir || !opt['aws-key-id'] || !opt['aws-secret']) usage('--dir, --aws-key-id and --aws-secret are required');
// Access key id -> [secret, session token or undefined]: the given pair, then STS's.
const awsCreds = new Map([[opt['aws-key-id'], [opt['aws-secret'], undefined]]]);
const webIdentityToken = 'eyJ.mock-oidc-token.' + crypto.randomBytes(12).toString('base64url');
const ROLE_ARN = 'arn:aws:iam::111122223333:role/signer';
function usage(msg) {
    process.stderr.write(
        `mock_kms: ${msg}\nusage: node mock_kms.mjs --dir DIR --aws-key-id AKID --aws-secret SECRET\n`
    );
    process.exit(2);
}
const dir = opt.dir;
// @aws-sdk/signature-v4 from the pinned packages (MS_SIGSTORE_JS_PREFIX/node_modules).
const require = createRequire(path.join(process.env.MS_SIGSTORE_JS_PREFIX || '.', 'node_modules', 'x.js'));
const { SignatureV4 } = require('@aws-sdk/signature-v4');

// ---- ECDSA over a digest: P-256 and P-384, Jacobian coordinates ----
const CURVES = {
    'P-256': {
        p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
        n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
        g: [
            0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
            0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
        ],
        bytes: 32,
    },
    'P-384': {
        p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
        n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
        g: [
            0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
            0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
        ],
        bytes: 48,
    },
};
const mod = (a, m) => ((a % m) + m) % m;
function inv(a, m) {
    let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
    while (r1 !== 0n) {
        const q = r0 / r1;
        [r0, r1] = [r1, r0 - q * r1];
        [s0, s1] = [s1, s0 - q * s1];
    }
    return mod(s0, m);
}
// Points [X, Y, Z] (Z = 0: infinity); a = -3 for both curves.
function jDouble(P, p) {
    const [X, Y, Z] = P;
    if (Z === 0n || Y === 0n) return [0n, 1n, 0n];
    const delta = mod(Z * Z, p),
        gamma = mod(Y * Y, p),
        beta = mod(X * gamma, p);
    const alpha = mod(3n * (X - delta) * (X + delta), p);
    const X3 = mod(alpha * alpha - 8n * beta, p);
    const Z3 = mod((Y + Z) * (Y + Z) - gamma - delta, p);
    const Y3 = mod(alpha * (4n * beta - X3) - 8n * gamma * gamma, p);
    return [X3, Y3, Z3];
}
function jAdd(P, Q, p) {
    if (P[2] === 0n) return Q;
    if (Q[2] === 0n) return P;
    const Z1Z1 = mod(P[2] * P[2], p),
        Z2Z2 = mod(Q[2] * Q[2], p);
    const U1 = mod(P[0] * Z2Z2, p),
        U2 = mod(Q[0] * Z1Z1, p);
    const S1 = mod(P[1] * Q[2] * Z2Z2, p),
        S2 = mod(Q[1] * P[2] * Z1Z1, p);
    const H = mod(U2 - U1, p),
        r = mod(S2 - S1, p);
    if (H === 0n) return r === 0n ? jDouble(P, p) : [0n, 1n, 0n];
    const HH = mod(H * H, p),
        HHH = mod(H * HH, p),
        V = mod(U1 * HH, p);
    const X3 = mod(r * r - HHH - 2n * V, p);
    const Y3 = mod(r * (V - X3) - S1 * HHH, p);
    return [X3, Y3, mod(P[2] * Q[2] * H, p)];
}
function mulG(k, c) {
    let R = [0n, 1n, 0n];
    let A = [c.g[0], c.g[1], 1n];
    for (; k > 0n; k >>= 1n, A = jDouble(A, c.p)) if (k & 1n) R = jAdd(R, A, c.p);
    const zi = inv(R[2], c.p);
    return mod(R[0] * zi * zi, c.p);
}
const big = (b) => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
function derInt(v) {
    let h = v.toString(16);
    if (h.length % 2) h = '0' + h;
    let b = Buffer.from(h, 'hex');
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([2, b.length]), b]);
}
function signDigest(key, digest) {
    const jwk = key.export({ format: 'jwk' });
    const c = CURVES[jwk.crv];
    const d = big(Buffer.from(jwk.d, 'base64url'));
    const z = big(digest.subarray(0, c.bytes)); // the digest is the curve's size here
    for (;;) {
        const k = mod(big(crypto.randomBytes(c.bytes + 8)), c.n - 1n) + 1n;
        const r = mod(mulG(k, c), c.n);
        if (r === 0n) continue;
        const s = mod(inv(k, c.n) * (z + r * d), c.n);
        if (s === 0n) continue;
        const body = Buffer.concat([derInt(r), derInt(s)]);
        return Buffer.concat([Buffer.from([0x30, body.length]), body]);
    }
}

// ---- the keys ----
const pem = (k) => k.export({ type: 'spki', format: 'pem' });
function ecKey(curve) {
    return crypto.generateKeyPairSync('ec', { namedCurve: curve === 'P-256' ? 'prime256v1' : 'secp384r1' });
}
const edKey = () => crypto.generateKeyPairSync('ed25519');
const stranger = ecKey('P-256'); // bad-sig signs with it
const strangerEd = edKey();

// Vault: name -> {type, versions: [keypair...] (index 0 is version 1), ns}
const vault = new Map();
function addVault(name, type, pair, ns = '', versions = 1) {
    const list = [];
    for (let v = 1; v < versions; v++) list.push(type === 'ed25519' ? edKey() : ecKey(type === 'ecdsa-p384' ? 'P-384' : 'P-256'));
    list.push(pair);
    vault.set(name, { type, versions: list, ns });
    if (pair) fs.writeFileSync(path.join(dir, `vault-${name}.pub`), pem(pair.publicKey));
}
addVault('p256', 'ecdsa-p256', ecKey('P-256'));
addVault('p384', 'ecdsa-p384', ecKey('P-384'));
addVault('ed25519', 'ed25519', edKey());
addVault('rotated', 'ecdsa-p256', ecKey('P-256'), '', 3);
addVault('team-p256', 'ecdsa-p256', ecKey('P-256'), 'team');
for (const f of ['flaky', 'throttled', 'flaky-always', 'throttled-always', 'slow', 'bad-sig']) addVault(f, 'ecdsa-p256', ecKey('P-256'));
addVault('bad-sig-ed', 'ed25519', edKey());
vault.set('aes', { type: 'aes256-gcm96', versions: [null], ns: '' });

// AWS: id -> {spec, pair, arn}; aliases -> id
const REGION_ACCOUNT = '111122223333';
const aws = new Map();
const aliases = new Map();
function addAws(alias, spec, pair) {
    const id = crypto.randomUUID();
    const arn = (region) => `arn:aws:kms:${region}:${REGION_ACCOUNT}:key/${id}`;
    aws.set(id, { id, spec, pair, arn });
    aliases.set(`alias/${alias}`, id);
    if (pair && spec.startsWith('ECC')) fs.writeFileSync(path.join(dir, `aws-${alias}.pub`), pem(pair.publicKey));
    fs.writeFileSync(path.join(dir, `aws-${alias}.id`), id);
    return id;
}
addAws('p256', 'ECC_NIST_P256', ecKey('P-256'));
addAws('p384', 'ECC_NIST_P384', ecKey('P-384'));
for (const f of ['flaky', 'throttled', 'flaky-always', 'throttled-always', 'slow', 'bad-sig', 'other-key', 'echo-token'])
    addAws(f, 'ECC_NIST_P256', ecKey('P-256'));
addAws('sym', 'SYMMETRIC_DEFAULT', null);
// Made when first asked for: an RSA key takes a while to generate.
const rsaId = addAws('rsa', 'RSA_2048', null);
const rsaPair = () => (aws.get(rsaId).pair ||= crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));

const counts = new Map();
const nth = (k) => {
    const n = (counts.get(k) || 0) + 1;
    counts.set(k, n);
    return n;
};
function log(line) {
    fs.appendFileSync(path.join(dir, 'requests.log'), line + '\n');
}
function send(res, status, body, type = 'application/json') {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
}

// ---- Vault ----
const vaultToken = 'hvs.' + crypto.randomBytes(18).toString('base64url');
function serveVault(req, res, body) {
    const m = /^\/v1\/transit\/(keys|sign)\/([A-Za-z0-9._-]+)$/.exec(req.url);
    const ns = req.headers['x-vault-namespace'] || '';
    const reply = (status, b) => {
        log(`vault ${req.method} ${req.url} ns=${ns || '-'} ${status}`);
        send(res, status, b);
    };
    if (req.headers['x-vault-token'] !== vaultToken) return reply(403, { errors: ['permission denied'] });
    if (!m) return reply(404, { errors: [] });
    const [, op, name] = m;
    const key = vault.get(name);
    if (!key || key.ns !== ns) return reply(op === 'keys' ? 404 : 400, { errors: op === 'keys' ? [] : ['signing key not found'] });
    const fault = /^(flaky|throttled)(-always)?$/.exec(name);
    if (fault && (fault[2] || nth(`vault ${name}`) <= 2))
        return fault[1] === 'flaky' ? reply(500, { errors: ['internal error'] }) : reply(429, { errors: ['request path "transit": rate limit quota exceeded'] });
    if (op === 'keys') {
        if (req.method !== 'GET') return reply(405, { errors: [] });
        const keys = {};
        key.versions.forEach((pair, i) => {
            keys[String(i + 1)] = pair
                ? {
                      creation_time: '2026-01-01T00:00:00Z',
                      name: key.type === 'ed25519' ? 'ed25519' : key.type === 'ecdsa-p384' ? 'P-384' : 'P-256',
                      public_key:
                          key.type === 'ed25519'
                              ? pair.publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64')
                              : pem(pair.publicKey),
                  }
                : 1767225600;
        });
        return reply(200, {
            request_id: crypto.randomUUID(),
            data: {
                name,
                type: key.type,
                latest_version: key.versions.length,
                min_decryption_version: 1,
                supports_signing: key.type !== 'aes256-gcm96',
                keys,
            },
        });
    }
    if (req.method !== 'POST') return reply(405, { errors: [] });
    let r;
    try {
        r = JSON.parse(body);
    } catch {
        return reply(400, { errors: ['failed to parse JSON input'] });
    }
    if (key.type === 'aes256-gcm96') return reply(400, { errors: [`key type aes256-gcm96 does not support signing`] });
    const version = key.versions.length;
    if (r.key_version !== version) return reply(400, { errors: [`expected key_version ${version}, got ${r.key_version}`] });
    const input = Buffer.from(String(r.input), 'base64');
    let sig;
    if (key.type === 'ed25519') {
        if (r.prehashed) return reply(400, { errors: ['prehashed is not supported for ed25519 keys'] });
        sig = crypto.sign(null, input, (name === 'bad-sig-ed' ? strangerEd : key.versions[version - 1]).privateKey);
    } else {
        const want = key.type === 'ecdsa-p384' ? 'sha2-384' : 'sha2-256';
        if (r.prehashed !== true || r.hash_algorithm !== want || r.marshaling_algorithm !== 'asn1' || input.length !== (want === 'sha2-384' ? 48 : 32))
            return reply(400, { errors: [`an ${key.type} key here signs a prehashed ${want} digest, asn1`] });
        if (name === 'slow') return log(`vault ${req.method} ${req.url} held`);
        sig = signDigest((name === 'bad-sig' ? stranger : key.versions[version - 1]).privateKey, input);
    }
    reply(200, { data: { signature: `vault:v${version}:${sig.toString('base64')}`, key_version: version } });
}

// ---- AWS KMS ----
class Sha256 {
    constructor(secret) {
        this.h = secret ? crypto.createHmac('sha256', secret) : crypto.createHash('sha256');
    }
    update(data) {
        this.h.update(data);
    }
    async digest() {
        return new Uint8Array(this.h.digest());
    }
}
// The request's SigV4, recomputed by @aws-sdk/signature-v4 from the headers it says it signed.
async function sigv4Check(req, body) {
    const auth = req.headers.authorization || '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return ['IncompleteSignatureException', 'no or malformed Authorization header'];
    const [, akid, day, region, service, signed, signature] = m;
    const cred = awsCreds.get(akid);
    if (!cred) return ['UnrecognizedClientException', 'The security token included in the request is invalid.'];
    if (service !== 'kms') return ['InvalidSignatureException', `credential scope service ${service}, not kms`];
    const amzDate = req.headers['x-amz-date'] || '';
    const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!dm || amzDate.slice(0, 8) !== day) return ['IncompleteSignatureException', 'x-amz-date missing or not the scope date'];
    const date = new Date(Date.UTC(+dm[1], +dm[2] - 1, +dm[3], +dm[4], +dm[5], +dm[6]));
    if (Math.abs(Date.now() - date.getTime()) > 5 * 60 * 1000) return ['InvalidSignatureException', 'Signature expired'];
    const names = signed.split(';');
    for (const need of ['host', 'x-amz-date']) if (!names.includes(need)) return ['InvalidSignatureException', `${need} is not signed`];
    if (cred[1] !== undefined && (req.headers['x-amz-security-token'] !== cred[1] || !names.includes('x-amz-security-token')))
        return ['UnrecognizedClientException', 'The security token included in the request is invalid.'];
    const headers = {};
    for (const n of names) {
        if (req.headers[n] === undefined) return ['InvalidSignatureException', `signed header ${n} is missing`];
        headers[n] = req.headers[n];
    }
    const [hostname, port] = headers.host.split(':');
    const signer = new SignatureV4({
        service: 'kms',
        region,
        sha256: Sha256,
        applyChecksum: false,
        credentials: { accessKeyId: akid, secretAccessKey: cred[0], sessionToken: cred[1] },
    });
    const signedReq = await signer.sign(
        { method: req.method, protocol: 'http:', hostname, port: port ? +port : undefined, path: req.url.split('?')[0], query: {}, headers, body },
        { signingDate: date, signingRegion: region, signingService: 'kms' }
    );
    const mine = /Signature=([0-9a-f]{64})/.exec(signedReq.headers.authorization || signedReq.headers.Authorization || '');
    const mineSigned = /SignedHeaders=([^,]+)/.exec(signedReq.headers.authorization || signedReq.headers.Authorization || '');
    if (!mine || mineSigned[1] !== signed) return ['InvalidSignatureException', `signed headers ${signed}, recomputed ${mineSigned && mineSigned[1]}`];
    if (!crypto.timingSafeEqual(Buffer.from(mine[1]), Buffer.from(signature)))
        return ['InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'];
    return [null, region];
}
function awsKey(keyId, region) {
    if (typeof keyId !== 'string') return null;
    let id = keyId;
    if (aliases.has(keyId)) id = aliases.get(keyId);
    const arn = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(keyId);
    if (arn) {
        if (arn[1] !== region || arn[2] !== REGION_ACCOUNT) return null;
        id = arn[3] === 'alias' ? aliases.get(`alias/${arn[4]}`) : arn[4];
    }
    return aws.get(id) || null;
}
async function serveAws(req, res, body) {
    const target = req.headers['x-amz-target'] || '';
    const reply = (status, b, what = '') => {
        log(`aws ${target} ${what} ${status}`);
        send(res, status, b, 'application/x-amz-json-1.1');
    };
    const fail = (status, type, message, what) => reply(status, { __type: type, message }, what);
    const [problem, region] = await sigv4Check(req, body);
    if (problem) return fail(problem === 'UnrecognizedClientException' ? 400 : 403, problem, region, 'sigv4');
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return fail(400, 'SerializationException', 'content type', '');
    let r;
    try {
        r = JSON.parse(body);
    } catch {
        return fail(400, 'SerializationException', 'not JSON', '');
    }
    const key = awsKey(r.KeyId, region);
    if (!key) return fail(400, 'NotFoundException', `Key '${r.KeyId}' does not exist`, r.KeyId);
    const alias = [...aliases].find(([, id]) => id === key.id)[0].slice(6);
    const fault = /^(flaky|throttled)(-always)?$/.exec(alias);
    if (fault && (fault[2] || nth(`aws ${alias}`) <= 2))
        return fault[1] === 'flaky'
            ? fail(500, 'KMSInternalException', 'internal error', alias)
            : fail(400, 'ThrottlingException', 'Rate exceeded', alias);
    if (alias === 'echo-token')
        return fail(400, 'AccessDeniedException', `token ${req.headers['x-amz-security-token'] || '(none)'} may not use this key`, alias);
    if (target === 'TrentService.GetPublicKey') {
        if (key.spec === 'SYMMETRIC_DEFAULT')
            return fail(400, 'UnsupportedOperationException', 'You cannot perform this operation on a symmetric encryption KMS key.', alias);
        if (key.spec === 'RSA_2048') rsaPair();
        const algs = { ECC_NIST_P256: ['ECDSA_SHA_256'], ECC_NIST_P384: ['ECDSA_SHA_384'], RSA_2048: ['RSASSA_PSS_SHA_256'] }[key.spec];
        return reply(
            200,
            {
                KeyId: key.arn(region),
                PublicKey: key.pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
                KeySpec: key.spec,
                CustomerMasterKeySpec: key.spec,
                KeyUsage: 'SIGN_VERIFY',
                SigningAlgorithms: algs,
            },
            alias
        );
    }
    if (target !== 'TrentService.Sign') return fail(400, 'UnknownOperationException', target, alias);
    const want = { ECC_NIST_P256: ['ECDSA_SHA_256', 32], ECC_NIST_P384: ['ECDSA_SHA_384', 48] }[key.spec];
    if (!want) return fail(400, 'InvalidKeyUsageException', 'the key cannot sign with ECDSA', alias);
    const digest = Buffer.from(String(r.Message), 'base64');
    if (r.MessageType !== 'DIGEST' || r.SigningAlgorithm !== want[0] || digest.length !== want[1])
        return fail(400, 'ValidationException', `want MessageType DIGEST, SigningAlgorithm ${want[0]}, a ${want[1]}-byte digest`, alias);
    if (alias === 'slow') return log(`aws ${target} slow held`);
    const sig = signDigest((alias === 'bad-sig' ? stranger : key.pair).privateKey, digest);
    const keyId = alias === 'other-key' ? awsKey('alias/p256', region).arn(region) : key.arn(region);
    reply(200, { KeyId: keyId, Signature: sig.toString('base64'), SigningAlgorithm: want[0] }, alias);
}

// ---- STS ----
function serveSts(req, res) {
    const q = new URL(req.url, 'http://x').searchParams;
    const xml = (status, body) => {
        log(`sts ${q.get('Action')} ${status}`);
        send(res, status, `<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`, 'text/xml');
    };
    if (req.method !== 'GET' || q.get('Version') !== '2011-06-15' || !q.get('RoleSessionName'))
        return xml(400, '<ErrorResponse><Error><Code>InvalidParameterValue</Code></Error></ErrorResponse>');
    if (q.get('WebIdentityToken') !== webIdentityToken || q.get('RoleArn') !== ROLE_ARN)
        return xml(400, '<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>the token or role is not one this mock knows</Message></Error></ErrorResponse>');
    const id = 'ASIA' + crypto.randomBytes(8).toString('hex').toUpperCase();
    const secret = crypto.randomBytes(30).toString('base64');
    const token = 'IQoJ' + crypto.randomBytes(60).toString('base64');
    awsCreds.set(id, [secret, token]);
    fs.writeFileSync(path.join(dir, 'sts_session_token'), token);
    const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    xml(
        200,
        `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>` +
            `<Credentials><AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${esc(secret)}</SecretAccessKey>` +
            `<SessionToken>${esc(token)}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>` +
            `</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`
    );
}

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const serve = req.url.startsWith('/v1/') ? serveVault : req.url.includes('Action=') ? serveSts : serveAws;
        Promise.resolve(serve(req, res, body)).catch((e) => {
            log(`error ${e.stack}`);
            send(res, 500, { message: String(e) });
        });
    });
});
server.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(path.join(dir, 'vault_token'), vaultToken);
    fs.writeFileSync(path.join(dir, 'web_identity_token'), webIdentityToken);
    fs.writeFileSync(path.join(dir, 'port'), String(server.address().port));
    fs.writeFileSync(path.join(dir, 'ready'), '');
});
process.on('SIGTERM', () => process.exit(0));
