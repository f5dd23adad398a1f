// A private Sigstore instance on 127.0.0.1 for modelseal's keyless signing tests: a Fulcio CA,
// a Rekor transparency log (v1 or v2 API), a certificate transparency log (embedded SCTs), an
// RFC 3161 timestamp authority and an OpenID Connect issuer, all in one node:http server on an
// ephemeral port, with nothing but node's standard library (node:crypto does the keys; the DER
// is encoded here). Everything it signs verifies against the trusted root it writes, so bundles
// made with it can be checked by modelseal verify and by @sigstore/verify.
//
//   node mock_sigstore.mjs --dir DIR [--rekor v1|v2] [--fault NAME[:SERVICE]]
//
// Writes, in this order: DIR/trusted_root.json, DIR/signing_config.json (v0.2), DIR/token (an
// identity token for signer@mock.test), DIR/identity, DIR/issuer, DIR/actions_url and
// DIR/actions_token (GitHub Actions ambient credentials: ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN),
// DIR/port, then DIR/ready. Serves until SIGTERM. One line per request in DIR/requests.log
// (method, path, status; never a token).
//
// Endpoints: POST /api/v2/signingCert (Fulcio), POST /api/v1/log/entries (Rekor v1: dsse and
// hashedrekord 0.0.1), POST /api/v2/log/entries (Rekor v2: hashedrekord and dsse 0.0.2), POST
// /api/v1/timestamp (TSA), GET /.well-known/openid-configuration, GET /authorize (redirects at
// once to redirect_uri, as a browser would after a login; the identity is browser@mock.test),
// POST /token (authorization code + PKCE S256 verifier), GET /actions/token (bearer-checked; the
// identity is actions@mock.test), GET /jwks.
//
// Faults (--fault NAME, optionally :fulcio, :rekor or :tsa to hit one service; default all three):
//   slow            hold the request open and never answer
//   500-then-ok     the first request to each service gets a 500, later ones are served
//   500             every request gets a 500
//   truncated       a Content-Length for the whole body, half of it sent, then the socket closed
//   oversized       a 64 MiB body
//   garbage         a complete answer whose body is the first half of the real one (malformed)
//   wrong-cert-key  Fulcio certifies another public key than the one in the request
//   wrong-log-entry Rekor logs and returns an entry for another signature
//
// DIR/fault, when a test writes it, names the fault in force from the next request on (NAME,
// NAME:SERVICE, or "none"), overriding --fault; a new text resets the per-service request
// counts. One mock then serves a series of faults: starting one takes a second or more on a
// loaded machine.
//
// It checks what the real services check: the token's signature, issuer, audience and expiry,
// the proof of possession (the key's signature over the token's sub, which equals its email), the
// logged signature against the certificate's key (for hashedrekord, an ECDSA verification over
// the given digest, done here with BigInt arithmetic since node:crypto only verifies messages),
// and the PKCE S256 verifier. The log is one RFC 6962 Merkle tree per run, so later entries get
// real audit paths; checkpoints are signed notes whose key name is the log's baseUrl host.
//
// Why not npm's @sigstore/mock (0.13.0, evaluated): its handlers serve nock interception inside
// one Node process (wrappable in node:http), but every log entry is a one-leaf tree at a random
// index (empty audit path), neither the proof of possession nor the logged signature is checked,
// there is no OIDC issuer and no fault injection, and it brings ten dependencies.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

// ---- arguments ----
const args = process.argv.slice(2);
let dir = null;
let rekorVersion = 'v1';
let faultName = null;
let faultServices = ['fulcio', 'rekor', 'tsa'];
for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--dir') dir = args[++i];
    else if (a === '--rekor') rekorVersion = args[++i];
    else if (a === '--fault') {
        const [n, s] = String(args[++i]).split(':');
        faultName = n;
        if (s) faultServices = [s];
    } else usage(`unknown argument ${a}`);
}
const FAULTS = [
    'slow',
    '500-then-ok',
    '500',
    'truncated',
    'oversized',
    'garbage',
    'wrong-cert-key',
    'wrong-log-entry',
];
if (!dir) usage('--dir is required');
if (rekorVersion !== 'v1' && rekorVersion !== 'v2') usage('--rekor must be v1 or v2');
if (faultName && !FAULTS.includes(faultName)) usage(`unknown fault ${faultName}`);
if (faultServices.some((s) => !['fulcio', 'rekor', 'tsa'].includes(s)))
    usage('fault service: fulcio, rekor or tsa');

function usage(msg) {
    process.stderr.write(
        `mock_sigstore: ${msg}\nusage: node mock_sigstore.mjs --dir DIR [--rekor v1|v2] [--fault NAME[:fulcio|rekor|tsa]]\n`
    );
    process.exit(2);
}

// ---- DER encoding ----
function derLen(n) {
    if (n < 0x80) return Buffer.from([n]);
    const bytes = [];
    while (n > 0) {
        bytes.unshift(n & 0xff);
        n = Math.floor(n / 256);
    }
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag, ...parts) {
    const body = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
    return Buffer.concat([Buffer.from([tag]), derLen(body.length), body]);
}
const seq = (...p) => tlv(0x30, ...p);
const setOf = (...p) => tlv(0x31, ...[...p].sort(Buffer.compare)); // DER: SET OF sorted
const octet = (b) => tlv(0x04, b);
const nul = () => Buffer.from([0x05, 0x00]);
const bool = (v) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const utf8 = (s) => tlv(0x0c, Buffer.from(s, 'utf8'));
const ia5 = (s) => tlv(0x16, Buffer.from(s, 'ascii'));
const bitString = (b, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
const explicit = (n, ...p) => tlv(0xa0 + n, ...p);
function integer(v) {
    // v: a non-negative bigint/number, or a Buffer of big-endian magnitude
    let b;
    if (Buffer.isBuffer(v)) b = v;
    else {
        let h = BigInt(v).toString(16);
        if (h.length % 2) h = '0' + h;
        b = Buffer.from(h, 'hex');
    }
    let i = 0;
    while (i < b.length - 1 && b[i] === 0 && !(b[i + 1] & 0x80)) i++;
    b = b.subarray(i);
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return tlv(0x02, b);
}
function oid(s) {
    const parts = s.split('.').map((x) => BigInt(x));
    const out = [Number(parts[0] * 40n + parts[1])];
    for (const p0 of parts.slice(2)) {
        let p = p0;
        const stack = [Number(p & 0x7fn)];
        p >>= 7n;
        while (p > 0n) {
            stack.unshift(Number(p & 0x7fn) | 0x80);
            p >>= 7n;
        }
        out.push(...stack);
    }
    return tlv(0x06, Buffer.from(out));
}
function timeDer(date, generalized) {
    const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    const s =
        iso.slice(0, 4) +
        iso.slice(5, 7) +
        iso.slice(8, 10) +
        iso.slice(11, 13) +
        iso.slice(14, 16) +
        iso.slice(17, 19) +
        'Z';
    return generalized ? tlv(0x18, Buffer.from(s)) : tlv(0x17, Buffer.from(s.slice(2)));
}
const time = (d) => timeDer(d, d.getUTCFullYear() >= 2050);

// ---- DER decoding (enough for TimeStampReq and certificates) ----
function derRead(buf, pos = 0) {
    if (pos + 2 > buf.length) throw new Error('truncated DER');
    const tag = buf[pos];
    let len = buf[pos + 1];
    let hdr = 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4 || pos + 2 + n > buf.length) throw new Error('bad DER length');
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i];
        hdr += n;
    }
    if (pos + hdr + len > buf.length) throw new Error('truncated DER');
    return {
        tag,
        start: pos,
        hdr,
        len,
        end: pos + hdr + len,
        body: buf.subarray(pos + hdr, pos + hdr + len),
        raw: buf.subarray(pos, pos + hdr + len),
    };
}
function derChildren(node) {
    const out = [];
    let p = 0;
    while (p < node.body.length) {
        const c = derRead(node.body, p);
        out.push(c);
        p = c.end;
    }
    return out;
}

// ---- OIDs ----
const OID = {
    ecPublicKey: '1.2.840.10045.2.1',
    ecdsaSha256: '1.2.840.10045.4.3.2',
    sha256: '2.16.840.1.101.3.4.2.1',
    cn: '2.5.4.3',
    o: '2.5.4.10',
    basicConstraints: '2.5.29.19',
    keyUsage: '2.5.29.15',
    extKeyUsage: '2.5.29.37',
    subjectAltName: '2.5.29.17',
    subjectKeyId: '2.5.29.14',
    authorityKeyId: '2.5.29.35',
    codeSigning: '1.3.6.1.5.5.7.3.3',
    timeStamping: '1.3.6.1.5.5.7.3.8',
    fulcioIssuerV1: '1.3.6.1.4.1.57264.1.1',
    fulcioIssuerV2: '1.3.6.1.4.1.57264.1.8',
    sctList: '1.3.6.1.4.1.11129.2.4.2',
    signedData: '1.2.840.113549.1.7.2',
    tstInfo: '1.2.840.113549.1.9.16.1.4',
    contentType: '1.2.840.113549.1.9.3',
    messageDigest: '1.2.840.113549.1.9.4',
    signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
    tsaPolicy: '1.3.6.1.4.1.57264.2',
};

// ---- keys and certificates ----
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
const b64 = (b) => Buffer.from(b).toString('base64');
const b64url = (b) => Buffer.from(b).toString('base64url');
const newP256 = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spkiDer = (pub) => pub.export({ type: 'spki', format: 'der' });
const ecdsaSign = (priv, data) => crypto.sign('sha256', data, { key: priv, dsaEncoding: 'der' });
const pem = (der, label = 'CERTIFICATE') =>
    `-----BEGIN ${label}-----\n${b64(der)
        .match(/.{1,64}/g)
        .join('\n')}\n-----END ${label}-----\n`;
function pemToDer(text) {
    const m = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(text);
    if (!m) throw new Error('not PEM');
    return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

const name = (cn) =>
    seq(setOf(seq(oid(OID.o), utf8('modelseal mock'))), setOf(seq(oid(OID.cn), utf8(cn))));
const ext = (id, critical, value) =>
    critical ? seq(oid(id), bool(true), octet(value)) : seq(oid(id), octet(value));
const algEcdsa = () => seq(oid(OID.ecdsaSha256));
let serialCounter = BigInt(Date.now()) * 1000n;

// The TBSCertificate DER.
function tbsCert({ serial, issuer, subject, notBefore, notAfter, spki, exts }) {
    return seq(
        explicit(0, integer(2)),
        integer(serial),
        algEcdsa(),
        issuer,
        seq(time(notBefore), time(notAfter)),
        subject,
        spki,
        explicit(3, seq(...exts))
    );
}
function signCert(tbs, issuerPriv) {
    return seq(tbs, algEcdsa(), bitString(ecdsaSign(issuerPriv, tbs)));
}
const keyId = (spki) => sha256(derChildren(derRead(spki))[1].body.subarray(1)).subarray(0, 20);
function caCert({ cn, spki, issuerName, issuerPriv, issuerSpki, notBefore, notAfter, pathLen }) {
    const bc = pathLen === undefined ? seq(bool(true)) : seq(bool(true), integer(pathLen));
    const exts = [
        ext(OID.basicConstraints, true, bc),
        ext(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
        ext(OID.subjectKeyId, false, octet(keyId(spki))),
    ];
    if (issuerSpki) exts.push(ext(OID.authorityKeyId, false, seq(tlv(0x80, keyId(issuerSpki)))));
    const tbs = tbsCert({
        serial: serialCounter++,
        issuer: issuerName || name(cn),
        subject: name(cn),
        notBefore,
        notAfter,
        spki,
        exts,
    });
    return signCert(tbs, issuerPriv);
}

const now = Date.now();
const day = 86400e3;
const caStart = new Date(Math.floor((now - day) / 1000) * 1000);
const caEnd = new Date(now + 30 * day);

// Fulcio: root -> intermediate -> leaves.
const fulcioRoot = newP256();
const fulcioRootSpki = spkiDer(fulcioRoot.publicKey);
const fulcioRootName = name('mock fulcio root');
const fulcioRootDer = caCert({
    cn: 'mock fulcio root',
    spki: fulcioRootSpki,
    issuerPriv: fulcioRoot.privateKey,
    notBefore: caStart,
    notAfter: caEnd,
});
const fulcioInter = newP256();
const fulcioInterSpki = spkiDer(fulcioInter.publicKey);
const fulcioInterName = name('mock fulcio intermediate');
const fulcioInterDer = caCert({
    cn: 'mock fulcio intermediate',
    spki: fulcioInterSpki,
    issuerName: fulcioRootName,
    issuerPriv: fulcioRoot.privateKey,
    issuerSpki: fulcioRootSpki,
    notBefore: caStart,
    notAfter: caEnd,
    pathLen: 0,
});
// CT log.
const ctlog = newP256();
const ctlogSpki = spkiDer(ctlog.publicKey);
const ctlogId = sha256(ctlogSpki);
// TSA: root -> leaf (critical timeStamping EKU only).
const tsaRoot = newP256();
const tsaRootSpki = spkiDer(tsaRoot.publicKey);
const tsaRootName = name('mock tsa root');
const tsaRootDer = caCert({
    cn: 'mock tsa root',
    spki: tsaRootSpki,
    issuerPriv: tsaRoot.privateKey,
    notBefore: caStart,
    notAfter: caEnd,
});
const tsaLeaf = newP256();
const tsaLeafSpki = spkiDer(tsaLeaf.publicKey);
const tsaLeafSerial = serialCounter++;
const tsaLeafDer = signCert(
    tbsCert({
        serial: tsaLeafSerial,
        issuer: tsaRootName,
        subject: name('mock tsa'),
        notBefore: caStart,
        notAfter: caEnd,
        spki: tsaLeafSpki,
        exts: [
            ext(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
            ext(OID.extKeyUsage, true, seq(oid(OID.timeStamping))),
            ext(OID.authorityKeyId, false, seq(tlv(0x80, keyId(tsaRootSpki)))),
            ext(OID.subjectKeyId, false, octet(keyId(tsaLeafSpki))),
        ],
    }),
    tsaRoot.privateKey
);
// Rekor: ECDSA P-256 for v1 (log ID = SHA-256 of the SPKI), Ed25519 for v2 (log ID = the
// signed-note key ID hash, SHA-256(name || "\n" || 0x01 || key), whose first 4 bytes are the
// checkpoint's key hint).
const rekorKey = rekorVersion === 'v1' ? newP256() : crypto.generateKeyPairSync('ed25519');
const rekorSpki = spkiDer(rekorKey.publicKey);
// OIDC issuer key (ES256).
const oidcKey = newP256();
const oidcKid = b64url(sha256(spkiDer(oidcKey.publicKey)).subarray(0, 8));

// ---- JWT ----
function jwtSign(claims) {
    const head = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: oidcKid }));
    const body = b64url(JSON.stringify(claims));
    const sig = crypto.sign('sha256', Buffer.from(`${head}.${body}`), {
        key: oidcKey.privateKey,
        dsaEncoding: 'ieee-p1363',
    });
    return `${head}.${body}.${b64url(sig)}`;
}
function jwtVerify(token) {
    const parts = String(token).split('.');
    if (parts.length !== 3) throw new Error('the identity token is not a JWT');
    const ok = crypto.verify(
        'sha256',
        Buffer.from(`${parts[0]}.${parts[1]}`),
        { key: oidcKey.publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(parts[2], 'base64url')
    );
    if (!ok) throw new Error("the identity token's signature does not verify");
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
    if (claims.iss !== issuer) throw new Error('the identity token is from another issuer');
    if (claims.aud !== 'sigstore') throw new Error("the identity token's audience is not sigstore");
    if (claims.exp * 1000 < Date.now()) throw new Error('the identity token has expired');
    return claims;
}
function identityToken(email, extra = {}) {
    const t = Math.floor(Date.now() / 1000);
    return jwtSign({
        iss: issuer,
        aud: 'sigstore',
        sub: email,
        email,
        email_verified: true,
        iat: t,
        nbf: t,
        exp: t + 600,
        ...extra,
    });
}

// ---- Fulcio ----
function sctExtension(tbsPre, timestampMs) {
    // RFC 6962 3.2 signed data of a precertificate SCT.
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(timestampMs));
    const tbsLen = Buffer.alloc(3);
    tbsLen.writeUIntBE(tbsPre.length, 0, 3);
    const signed = Buffer.concat([
        Buffer.from([0, 0]),
        ts,
        Buffer.from([0, 1]),
        sha256(fulcioInterSpki),
        tbsLen,
        tbsPre,
        Buffer.from([0, 0]),
    ]);
    const sig = ecdsaSign(ctlog.privateKey, signed);
    const sigLen = Buffer.alloc(2);
    sigLen.writeUInt16BE(sig.length);
    const sct = Buffer.concat([
        Buffer.from([0]),
        ctlogId,
        ts,
        Buffer.from([0, 0]),
        Buffer.from([4, 3]),
        sigLen,
        sig,
    ]);
    const one = Buffer.alloc(2);
    one.writeUInt16BE(sct.length);
    const list = Buffer.concat([one, sct]);
    const total = Buffer.alloc(2);
    total.writeUInt16BE(list.length);
    return ext(OID.sctList, false, octet(Buffer.concat([total, list])));
}
function issueLeaf(spki, email) {
    const t = Math.floor(Date.now() / 1000) * 1000;
    const notBefore = new Date(t - 10e3);
    const notAfter = new Date(t + 600e3);
    const exts = [
        ext(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
        ext(OID.extKeyUsage, false, seq(oid(OID.codeSigning))),
        ext(OID.subjectKeyId, false, octet(keyId(spki))),
        ext(OID.authorityKeyId, false, seq(tlv(0x80, keyId(fulcioInterSpki)))),
        ext(OID.subjectAltName, true, seq(tlv(0x81, Buffer.from(email, 'ascii')))),
        ext(OID.fulcioIssuerV1, false, Buffer.from(issuer, 'utf8')),
        ext(OID.fulcioIssuerV2, false, utf8(issuer)),
    ];
    const common = {
        serial: serialCounter++,
        issuer: fulcioInterName,
        subject: seq(),
        notBefore,
        notAfter,
        spki,
    };
    const pre = tbsCert({ ...common, exts });
    const final = tbsCert({ ...common, exts: [...exts, sctExtension(pre, t)] });
    return signCert(final, fulcioInter.privateKey);
}
function fulcio(req, body) {
    let j;
    try {
        j = JSON.parse(body);
    } catch {
        return reply(400, { code: 400, message: 'the request is not JSON' });
    }
    let token = j?.credentials?.oidcIdentityToken;
    const auth = req.headers.authorization || '';
    if (!token && auth.startsWith('Bearer ')) token = auth.slice(7);
    let claims;
    try {
        claims = jwtVerify(token);
    } catch (e) {
        return reply(401, { code: 401, message: e.message });
    }
    const pk = j?.publicKeyRequest?.publicKey?.content;
    const pop = j?.publicKeyRequest?.proofOfPossession;
    if (typeof pk !== 'string' || typeof pop !== 'string')
        return reply(400, {
            code: 400,
            message: 'publicKeyRequest.publicKey.content and proofOfPossession are required',
        });
    let key;
    try {
        key = crypto.createPublicKey(pk);
    } catch {
        return reply(400, { code: 400, message: 'publicKey.content is not a PEM public key' });
    }
    if (key.asymmetricKeyType !== 'ec')
        return reply(400, { code: 400, message: 'only ECDSA keys are accepted' });
    if (!crypto.verify('sha256', Buffer.from(claims.sub), key, Buffer.from(pop, 'base64')))
        return reply(400, {
            code: 400,
            message: "the proof of possession does not verify over the token's subject",
        });
    let spki = spkiDer(key);
    if (fault('fulcio', 'wrong-cert-key')) spki = spkiDer(newP256().publicKey);
    const leaf = issueLeaf(spki, claims.email);
    return reply(201, {
        signedCertificateEmbeddedSct: {
            chain: { certificates: [pem(leaf), pem(fulcioInterDer), pem(fulcioRootDer)] },
        },
    });
}

// ---- Rekor: an RFC 6962 Merkle tree ----
const leaves = []; // leaf hashes
const leafHash = (b) => sha256(Buffer.concat([Buffer.from([0]), b]));
const nodeHash = (l, r) => sha256(Buffer.concat([Buffer.from([1]), l, r]));
function largestPow2Below(n) {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}
function mth(hs) {
    if (hs.length === 0) return sha256(Buffer.alloc(0));
    if (hs.length === 1) return hs[0];
    const k = largestPow2Below(hs.length);
    return nodeHash(mth(hs.slice(0, k)), mth(hs.slice(k)));
}
function auditPath(m, hs) {
    if (hs.length <= 1) return [];
    const k = largestPow2Below(hs.length);
    if (m < k) return [...auditPath(m, hs.slice(0, k)), mth(hs.slice(k))];
    return [...auditPath(m - k, hs.slice(k)), mth(hs.slice(0, k))];
}
const origin = () => `127.0.0.1:${port}`; // also the checkpoint key name (the log's baseUrl host)
function noteKeyId() {
    if (rekorVersion === 'v1') return sha256(rekorSpki);
    const raw = rekorSpki.subarray(rekorSpki.length - 32);
    return sha256(Buffer.concat([Buffer.from(origin()), Buffer.from([0x0a, 0x01]), raw]));
}
function signedCheckpoint(size, root) {
    const text = `${origin()}\n${size}\n${b64(root)}\n`;
    const sig =
        rekorVersion === 'v1'
            ? ecdsaSign(rekorKey.privateKey, Buffer.from(text))
            : crypto.sign(null, Buffer.from(text), rekorKey.privateKey);
    return `${text}\n\u2014 ${origin()} ${b64(Buffer.concat([logId.subarray(0, 4), sig]))}\n`;
}
// RFC 8785 canonical JSON for the objects used here (strings, integers, arrays, objects).
function canonical(v) {
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    if (v && typeof v === 'object')
        return `{${Object.keys(v)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
            .join(',')}}`;
    return JSON.stringify(v);
}
function appendLeaf(body) {
    const index = leaves.length;
    leaves.push(leafHash(body));
    const size = leaves.length;
    const root = mth(leaves);
    return {
        index,
        size,
        root,
        hashes: auditPath(index, leaves),
        checkpoint: signedCheckpoint(size, root),
    };
}
// The certificate in a verifier field (PEM, maybe base64 of PEM) as DER; for checking signatures.
function certPublicKey(der) {
    return new crypto.X509Certificate(der).publicKey;
}
function otherSignature() {
    return ecdsaSign(newP256().privateKey, crypto.randomBytes(32));
}

function rekorV1(req, body) {
    let j;
    try {
        j = JSON.parse(body);
    } catch {
        return reply(400, { code: 400, message: 'the request is not JSON' });
    }
    const wrong = fault('rekor', 'wrong-log-entry');
    let entry;
    try {
        if (j.kind === 'dsse' && j.apiVersion === '0.0.1') {
            const envText = j.spec?.proposedContent?.envelope;
            const verifiers = j.spec?.proposedContent?.verifiers;
            if (typeof envText !== 'string' || !Array.isArray(verifiers) || verifiers.length !== 1)
                throw new Error('spec.proposedContent needs envelope and one verifier');
            const env = JSON.parse(envText);
            const verifierPem = Buffer.from(verifiers[0], 'base64').toString();
            const key = certPublicKey(pemToDer(verifierPem));
            const payload = Buffer.from(env.payload, 'base64');
            const type = Buffer.from(env.payloadType);
            const pae = Buffer.concat([
                Buffer.from(`DSSEv1 ${type.length} `),
                type,
                Buffer.from(` ${payload.length} `),
                payload,
            ]);
            if (!Array.isArray(env.signatures) || env.signatures.length !== 1)
                throw new Error('the envelope needs one signature');
            let sig = Buffer.from(env.signatures[0].sig, 'base64');
            if (!crypto.verify('sha256', pae, key, sig))
                throw new Error("the envelope's signature does not verify with the verifier");
            if (wrong) sig = otherSignature();
            entry = {
                apiVersion: '0.0.1',
                kind: 'dsse',
                spec: {
                    envelopeHash: {
                        algorithm: 'sha256',
                        value: sha256(Buffer.from(envText)).toString('hex'),
                    },
                    payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
                    signatures: [{ signature: b64(sig), verifier: verifiers[0] }],
                },
            };
        } else if (j.kind === 'hashedrekord' && j.apiVersion === '0.0.1') {
            const hex = j.spec?.data?.hash?.value;
            const sigB64 = j.spec?.signature?.content;
            const pkB64 = j.spec?.signature?.publicKey?.content;
            if (
                j.spec?.data?.hash?.algorithm !== 'sha256' ||
                typeof hex !== 'string' ||
                typeof sigB64 !== 'string' ||
                typeof pkB64 !== 'string'
            )
                throw new Error(
                    'spec needs data.hash (sha256), signature.content and signature.publicKey.content'
                );
            const key = certPublicKey(pemToDer(Buffer.from(pkB64, 'base64').toString()));
            let sig = Buffer.from(sigB64, 'base64');
            if (!verifyPrehashed(key, Buffer.from(hex, 'hex'), sig))
                throw new Error('the signature does not verify over the digest');
            if (wrong) sig = otherSignature();
            entry = {
                apiVersion: '0.0.1',
                kind: 'hashedrekord',
                spec: {
                    data: { hash: { algorithm: 'sha256', value: hex } },
                    signature: { content: b64(sig), publicKey: { content: pkB64 } },
                },
            };
        } else throw new Error(`unsupported entry kind ${j.kind} ${j.apiVersion}`);
    } catch (e) {
        return reply(400, { code: 400, message: e.message });
    }
    const bodyBytes = Buffer.from(canonical(entry));
    const integratedTime = Math.floor(Date.now() / 1000);
    const p = appendLeaf(bodyBytes);
    const logIDHex = logId.toString('hex');
    const set = ecdsaSign(
        rekorKey.privateKey,
        Buffer.from(
            canonical({ body: b64(bodyBytes), integratedTime, logID: logIDHex, logIndex: p.index })
        )
    );
    const uuid = leafHash(bodyBytes).toString('hex');
    return reply(201, {
        [uuid]: {
            body: b64(bodyBytes),
            integratedTime,
            logID: logIDHex,
            logIndex: p.index,
            verification: {
                inclusionProof: {
                    checkpoint: p.checkpoint,
                    hashes: p.hashes.map((h) => h.toString('hex')),
                    logIndex: p.index,
                    rootHash: p.root.toString('hex'),
                    treeSize: p.size,
                },
                signedEntryTimestamp: b64(set),
            },
        },
    });
}
// ECDSA P-256 verification of a signature over a given SHA-256 digest (node:crypto only
// verifies over the message): the textbook algorithm with BigInt, affine coordinates.
const P256 = {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    g: [
        0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
        0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    ],
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
function ecAdd(P, Q) {
    const p = P256.p;
    if (!P) return Q;
    if (!Q) return P;
    let l;
    if (P[0] === Q[0]) {
        if (mod(P[1] + Q[1], p) === 0n) return null;
        l = mod(3n * P[0] * P[0] - 3n, p) * inv(2n * P[1], p);
    } else l = mod(Q[1] - P[1], p) * inv(Q[0] - P[0], p);
    l = mod(l, p);
    const x = mod(l * l - P[0] - Q[0], p);
    return [x, mod(l * (P[0] - x) - P[1], p)];
}
function ecMul(k, P) {
    let R = null;
    for (let A = P; k > 0n; k >>= 1n, A = ecAdd(A, A)) if (k & 1n) R = ecAdd(R, A);
    return R;
}
const big = (b) => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
function verifyPrehashed(key, digest, sig) {
    try {
        const jwk = key.export({ format: 'jwk' });
        if (jwk.crv !== 'P-256') return false;
        const Q = [big(Buffer.from(jwk.x, 'base64url')), big(Buffer.from(jwk.y, 'base64url'))];
        const top = derRead(sig);
        const [ri, si] = derChildren(top);
        if (top.end !== sig.length || ri.tag !== 2 || si.tag !== 2) return false;
        const r = big(ri.body),
            s = big(si.body),
            n = P256.n;
        if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
        const w = inv(s, n);
        const X = ecAdd(ecMul(mod(big(digest) * w, n), P256.g), ecMul(mod(r * w, n), Q));
        return X !== null && mod(X[0], n) === r;
    } catch {
        return false;
    }
}

// A Rekor v2 dsse 0.0.2 entry from a DSSERequestV002 (envelope + one verifier): the signature
// must verify over the envelope's PAE.
function dsseV002(d) {
    const env = d.envelope;
    const v = d.verifiers;
    if (
        !env ||
        typeof env.payload !== 'string' ||
        typeof env.payloadType !== 'string' ||
        !Array.isArray(env.signatures) ||
        env.signatures.length !== 1 ||
        !Array.isArray(v) ||
        v.length !== 1
    )
        throw new Error('dsseRequestV002 needs an envelope with one signature and one verifier');
    const certB64 = v[0]?.x509Certificate?.rawBytes;
    if (typeof certB64 !== 'string') throw new Error('the verifier needs x509Certificate.rawBytes');
    const key = certPublicKey(Buffer.from(certB64, 'base64'));
    const payload = Buffer.from(env.payload, 'base64');
    const type = Buffer.from(env.payloadType);
    const pae = Buffer.concat([
        Buffer.from(`DSSEv1 ${type.length} `),
        type,
        Buffer.from(` ${payload.length} `),
        payload,
    ]);
    let sig = Buffer.from(String(env.signatures[0].sig), 'base64');
    if (!crypto.verify('sha256', pae, key, sig))
        throw new Error("the envelope's signature does not verify with the verifier");
    if (fault('rekor', 'wrong-log-entry')) sig = otherSignature();
    return {
        apiVersion: '0.0.2',
        kind: 'dsse',
        spec: {
            dsseV002: {
                payloadHash: { algorithm: 'SHA2_256', digest: b64(sha256(payload)) },
                signatures: [
                    {
                        content: b64(sig),
                        verifier: {
                            keyDetails: v[0].keyDetails || 'PKIX_ECDSA_P256_SHA_256',
                            x509Certificate: { rawBytes: certB64 },
                        },
                    },
                ],
            },
        },
    };
}

function rekorV2(req, body) {
    let j;
    try {
        j = JSON.parse(body);
    } catch {
        return reply(400, { code: 400, message: 'the request is not JSON' });
    }
    const r = j?.hashedRekordRequestV002;
    let entry;
    try {
        if (j?.dsseRequestV002) entry = dsseV002(j.dsseRequestV002);
        else if (!r)
            throw new Error('the request is neither hashedRekordRequestV002 nor dsseRequestV002');
        else {
            const digest = Buffer.from(String(r.digest), 'base64');
            const certB64 = r.signature?.verifier?.x509Certificate?.rawBytes;
            const details = r.signature?.verifier?.keyDetails;
            if (
                digest.length !== 32 ||
                typeof r.signature?.content !== 'string' ||
                typeof certB64 !== 'string'
            )
                throw new Error(
                    'needs digest (32 bytes), signature.content and signature.verifier.x509Certificate.rawBytes'
                );
            let sig = Buffer.from(r.signature.content, 'base64');
            const key = certPublicKey(Buffer.from(certB64, 'base64'));
            if (!verifyPrehashed(key, digest, sig))
                throw new Error(
                    "the signature does not verify over the digest with the certificate's key"
                );
            if (fault('rekor', 'wrong-log-entry')) sig = otherSignature();
            entry = {
                apiVersion: '0.0.2',
                kind: 'hashedrekord',
                spec: {
                    hashedRekordV002: {
                        data: { algorithm: 'SHA2_256', digest: b64(digest) },
                        signature: {
                            content: b64(sig),
                            verifier: {
                                keyDetails: details || 'PKIX_ECDSA_P256_SHA_256',
                                x509Certificate: { rawBytes: certB64 },
                            },
                        },
                    },
                },
            };
        }
    } catch (e) {
        return reply(400, { code: 400, message: e.message });
    }
    const bodyBytes = Buffer.from(canonical(entry));
    const p = appendLeaf(bodyBytes);
    return reply(201, {
        logIndex: String(p.index),
        logId: { keyId: b64(logId) },
        kindVersion: { kind: entry.kind, version: '0.0.2' },
        integratedTime: '0',
        inclusionProof: {
            logIndex: String(p.index),
            rootHash: b64(p.root),
            treeSize: String(p.size),
            hashes: p.hashes.map(b64),
            checkpoint: { envelope: p.checkpoint },
        },
        canonicalizedBody: b64(bodyBytes),
    });
}

// ---- TSA ----
function tsa(req, body) {
    let imprint, nonce, certReq;
    try {
        const top = derRead(body);
        if (top.tag !== 0x30 || top.end !== body.length) throw new Error('not a DER SEQUENCE');
        const f = derChildren(top);
        if (f.length < 2 || f[0].tag !== 0x02 || f[1].tag !== 0x30)
            throw new Error('not a TimeStampReq');
        imprint = f[1].raw;
        const mi = derChildren(f[1]);
        const alg = derChildren(mi[0])[0].raw;
        if (!alg.equals(oid(OID.sha256)) || mi[1].body.length !== 32)
            throw new Error('the message imprint is not SHA-256');
        for (const x of f.slice(2)) {
            if (x.tag === 0x02) nonce = x.raw;
            if (x.tag === 0x01) certReq = x.body[0] !== 0;
        }
    } catch (e) {
        return reply(400, `bad TimeStampReq: ${e.message}\n`, 'text/plain');
    }
    const tst = seq(
        integer(1),
        oid(OID.tsaPolicy),
        imprint,
        integer(serialCounter++),
        timeDer(new Date(), true),
        ...(nonce ? [nonce] : [])
    );
    const attrs = [
        seq(oid(OID.contentType), setOf(oid(OID.tstInfo))),
        seq(oid(OID.messageDigest), setOf(octet(sha256(tst)))),
        seq(oid(OID.signingCertificateV2), setOf(seq(seq(seq(octet(sha256(tsaLeafDer))))))),
    ];
    const signedAttrs = setOf(...attrs);
    const sig = ecdsaSign(tsaLeaf.privateKey, signedAttrs);
    const signerInfo = seq(
        integer(1),
        seq(tsaRootName, integer(tsaLeafSerial)),
        seq(oid(OID.sha256)),
        Buffer.concat([Buffer.from([0xa0]), signedAttrs.subarray(1)]),
        algEcdsa(),
        octet(sig)
    );
    const certs = certReq ? [tsaLeafDer, tsaRootDer] : [];
    const signedData = seq(
        integer(3),
        setOf(seq(oid(OID.sha256))),
        seq(oid(OID.tstInfo), explicit(0, octet(tst))),
        ...(certs.length ? [tlv(0xa0, ...certs)] : []),
        setOf(signerInfo)
    );
    const resp = seq(seq(integer(0)), seq(oid(OID.signedData), explicit(0, signedData)));
    return reply(200, resp, 'application/timestamp-reply');
}

// ---- OIDC ----
const codes = new Map(); // code -> {challenge, redirect, nonce}
function oidcConfig() {
    return reply(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'email'],
    });
}
function authorize(url) {
    const q = url.searchParams;
    const redirect = q.get('redirect_uri');
    if (
        q.get('response_type') !== 'code' ||
        !redirect ||
        q.get('code_challenge_method') !== 'S256' ||
        !q.get('code_challenge') ||
        !q.get('state')
    )
        return reply(
            400,
            'authorize needs response_type=code, redirect_uri, state, code_challenge and code_challenge_method=S256\n',
            'text/plain'
        );
    let r;
    try {
        r = new URL(redirect);
    } catch {
        return reply(400, 'redirect_uri is not a URL\n', 'text/plain');
    }
    if (r.hostname !== '127.0.0.1' && r.hostname !== 'localhost')
        return reply(400, 'redirect_uri is not a loopback address\n', 'text/plain');
    const code = b64url(crypto.randomBytes(16));
    codes.set(code, {
        challenge: q.get('code_challenge'),
        redirect,
        nonce: q.get('nonce'),
        client: q.get('client_id'),
    });
    r.searchParams.set('code', code);
    r.searchParams.set('state', q.get('state'));
    return { status: 302, headers: { Location: r.toString() }, body: Buffer.alloc(0) };
}
function token(body) {
    const q = new URLSearchParams(body.toString());
    const c = codes.get(q.get('code') || '');
    if (q.get('grant_type') !== 'authorization_code' || !c)
        return reply(400, { error: 'invalid_grant', error_description: 'unknown code' });
    codes.delete(q.get('code'));
    if (q.get('redirect_uri') !== c.redirect)
        return reply(400, {
            error: 'invalid_grant',
            error_description: "redirect_uri differs from the authorization request's",
        });
    const verifier = q.get('code_verifier') || '';
    if (b64url(sha256(Buffer.from(verifier))) !== c.challenge)
        return reply(400, {
            error: 'invalid_grant',
            error_description: 'code_verifier does not match the code_challenge (PKCE S256)',
        });
    const extra = c.nonce ? { nonce: c.nonce } : {};
    return reply(200, {
        access_token: b64url(crypto.randomBytes(16)),
        token_type: 'Bearer',
        expires_in: 600,
        id_token: identityToken('browser@mock.test', extra),
    });
}
function actionsToken(req, url) {
    if ((req.headers.authorization || '') !== `Bearer ${actionsBearer}`)
        return reply(401, { message: 'bad bearer token' });
    if (url.searchParams.get('audience') !== 'sigstore')
        return reply(400, { message: 'audience must be sigstore' });
    return reply(200, { value: identityToken('actions@mock.test') });
}
function jwks() {
    return reply(200, {
        keys: [
            {
                ...oidcKey.publicKey.export({ format: 'jwk' }),
                kid: oidcKid,
                alg: 'ES256',
                use: 'sig',
            },
        ],
    });
}

// ---- server ----
function reply(status, body, type = 'application/json') {
    const b = Buffer.isBuffer(body)
        ? body
        : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return { status, headers: { 'Content-Type': type }, body: b };
}
const served = { fulcio: 0, rekor: 0, tsa: 0 };
let faultText = null;
// Take up DIR/fault's fault if its text changed; a malformed one is logged and means no fault.
function readFaultFile() {
    let t;
    try {
        t = fs.readFileSync(path.join(dir, 'fault'), 'utf8').trim();
    } catch {
        return;
    }
    if (t === faultText) return;
    faultText = t;
    const [n, svc] = t.split(':');
    faultName = null;
    faultServices = ['fulcio', 'rekor', 'tsa'];
    if (FAULTS.includes(n) && (!svc || faultServices.includes(svc))) {
        faultName = n;
        if (svc) faultServices = [svc];
    } else if (n !== 'none') fs.appendFileSync(logFile, `bad fault file: ${t}\n`);
    served.fulcio = served.rekor = served.tsa = 0;
}
function fault(service, name) {
    return faultName === name && faultServices.includes(service);
}
const MAX_REQUEST = 16 << 20;
let port = 0;
let issuer = '';
let logId = null;
const actionsBearer = b64url(crypto.randomBytes(24));
const pending = new Set(); // held-open responses (slow)
const logFile = path.join(dir, 'requests.log');

function route(req, url) {
    const p = url.pathname;
    if (req.method === 'POST' && p === '/api/v2/signingCert') return ['fulcio', fulcio];
    if (req.method === 'POST' && p === '/api/v1/log/entries' && rekorVersion === 'v1')
        return ['rekor', rekorV1];
    if (req.method === 'POST' && p === '/api/v2/log/entries' && rekorVersion === 'v2')
        return ['rekor', rekorV2];
    if (req.method === 'POST' && p === '/api/v1/timestamp') return ['tsa', tsa];
    if (req.method === 'GET' && p === '/.well-known/openid-configuration')
        return ['oidc', () => oidcConfig()];
    if (req.method === 'GET' && p === '/authorize') return ['oidc', () => authorize(url)];
    if (req.method === 'POST' && p === '/token') return ['oidc', (r, b) => token(b)];
    if (req.method === 'GET' && p === '/actions/token')
        return ['oidc', (r) => actionsToken(r, url)];
    if (req.method === 'GET' && p === '/jwks') return ['oidc', () => jwks()];
    return [null, null];
}

const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
        size += c.length;
        if (size <= MAX_REQUEST) chunks.push(c);
    });
    req.on('end', () => {
        const url = new URL(req.url, `http://127.0.0.1:${port}`);
        readFaultFile();
        const [service, handler] = route(req, url);
        let out;
        let note = '';
        if (!handler)
            out = reply(404, { code: 404, message: `no ${req.method} ${url.pathname} here` });
        else if (size > MAX_REQUEST) out = reply(413, { code: 413, message: 'request too large' });
        else {
            const n = service in served ? served[service]++ : 0;
            const hit = faultName && faultServices.includes(service);
            if (hit && faultName === 'slow') {
                fs.appendFileSync(logFile, `${req.method} ${url.pathname} held (slow)\n`);
                pending.add(res);
                res.on('close', () => pending.delete(res));
                return;
            }
            if (hit && (faultName === '500' || (faultName === '500-then-ok' && n === 0)))
                out = reply(500, { code: 500, message: 'injected failure' });
            else {
                try {
                    out = handler(req, Buffer.concat(chunks));
                } catch (e) {
                    out = reply(500, { code: 500, message: `mock error: ${e.message}` });
                }
                if (hit && faultName === 'oversized') {
                    out = reply(
                        out.status,
                        Buffer.alloc(64 << 20, 0x20),
                        out.headers['Content-Type']
                    );
                    note = ' (oversized)';
                }
                if (hit && faultName === 'truncated') note = ' (truncated)';
                if (hit && faultName === 'garbage' && out.status < 300) {
                    // The answer cut in half, sent whole with a matching length.
                    const half = out.body.subarray(0, out.body.length >> 1);
                    out = reply(out.status, half, out.headers['Content-Type']);
                    note = ' (garbage)';
                }
            }
        }
        fs.appendFileSync(logFile, `${req.method} ${url.pathname} ${out.status}${note}\n`);
        if (note === ' (truncated)') {
            res.writeHead(out.status, { ...out.headers, 'Content-Length': out.body.length });
            res.write(out.body.subarray(0, out.body.length >> 1), () => res.destroy());
            return;
        }
        res.writeHead(out.status, { ...out.headers, 'Content-Length': out.body.length });
        res.end(out.body);
    });
});

const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
function writeFiles() {
    const base = `http://127.0.0.1:${port}`;
    const validFor = { start: iso(caStart) };
    const trustedRoot = {
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [
            {
                baseUrl: base,
                hashAlgorithm: 'SHA2_256',
                publicKey: {
                    rawBytes: b64(rekorSpki),
                    keyDetails: rekorVersion === 'v1' ? 'PKIX_ECDSA_P256_SHA_256' : 'PKIX_ED25519',
                    validFor,
                },
                logId: { keyId: b64(logId) },
            },
        ],
        certificateAuthorities: [
            {
                subject: { organization: 'modelseal mock', commonName: 'mock fulcio' },
                uri: base,
                certChain: {
                    certificates: [
                        { rawBytes: b64(fulcioInterDer) },
                        { rawBytes: b64(fulcioRootDer) },
                    ],
                },
                validFor,
            },
        ],
        ctlogs: [
            {
                baseUrl: `${base}/ct`,
                hashAlgorithm: 'SHA2_256',
                publicKey: {
                    rawBytes: b64(ctlogSpki),
                    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
                    validFor,
                },
                logId: { keyId: b64(ctlogId) },
            },
        ],
        timestampAuthorities: [
            {
                subject: { organization: 'modelseal mock', commonName: 'mock tsa' },
                uri: `${base}/api/v1/timestamp`,
                certChain: {
                    certificates: [{ rawBytes: b64(tsaLeafDer) }, { rawBytes: b64(tsaRootDer) }],
                },
                validFor,
            },
        ],
    };
    const service = (url, extra = {}) => ({ url, ...extra, validFor, operator: 'modelseal mock' });
    const signingConfig = {
        mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
        caUrls: [service(base, { majorApiVersion: 1 })],
        oidcUrls: [service(base, { majorApiVersion: 1 })],
        rekorTlogUrls: [service(base, { majorApiVersion: rekorVersion === 'v1' ? 1 : 2 })],
        tsaUrls: [service(`${base}/api/v1/timestamp`, { majorApiVersion: 1 })],
        rekorTlogConfig: { selector: 'ANY' },
        tsaConfig: { selector: 'ANY' },
    };
    const put = (f, data) => fs.writeFileSync(path.join(dir, f), data);
    put('trusted_root.json', JSON.stringify(trustedRoot, null, 2) + '\n');
    put('signing_config.json', JSON.stringify(signingConfig, null, 2) + '\n');
    put('token', identityToken('signer@mock.test'));
    put('identity', 'signer@mock.test\n');
    put('issuer', `${issuer}\n`);
    put('actions_url', `${base}/actions/token?api-version=2.0\n`);
    put('actions_token', `${actionsBearer}\n`);
    put('port', `${port}\n`);
    put('ready', '');
}

fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(logFile, '');
server.listen(0, '127.0.0.1', () => {
    port = server.address().port;
    issuer = `http://127.0.0.1:${port}`;
    logId = noteKeyId();
    writeFiles();
});
function stop() {
    for (const r of pending) r.destroy();
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
