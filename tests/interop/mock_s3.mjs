// A small S3-compatible store on 127.0.0.1 for modelseal's object-storage tests
// (tests/interop/test_s3.sh, bench/s3.sh): path-style CreateBucket, PutObject, ListObjectsV2
// (pagination, encoding-type=url) and GetObject (If-Match), every request's Signature Version 4
// checked with @aws-sdk/signature-v4 (an independent implementation) and refused when it does
// not match (403 SignatureDoesNotMatch, or InvalidAccessKeyId).
//
// Usage: node mock_s3.mjs --dir DIR [--no-verify]
//   Writes DIR/port once listening. Credentials: AKIDMOCK / mock-secret (session token none).
//   --no-verify (benchmarks only) checks no signatures.
// Faults and fixtures through POST /__control with a JSON body (no signature):
//   {"put": {"bucket", "key", "body"}}     store an object whatever its key (invalid ones too)
//   {"slowdown": {"key", "count"}}         the next COUNT GETs of key answer 503 SlowDown
//   {"fail500": {"key"}}                   every GET of key answers 500
//   {"truncate": {"key", "count"}}         the next COUNT GETs send half the body, then close
//   {"change_on_get": {"key"}}             the first GET of key finds it rewritten (new ETag)
//   {"fake": {"bucket", "count", "size"}}  the bucket lists COUNT made-up keys k/0000000 ... of
//                                          SIZE zero bytes each (not stored)
//   {"load_dir": {"bucket", "dir"}}        store every file below dir (keys = relative paths)
//   {"list_fail": {"bucket", "after"}}     the bucket's listing answers 500 for every page but
//                                          the first AFTER (continuation tokens count pages)
//   {"delete_on_get": {"key"}}             the first GET of key finds it deleted (404)
//   {"reset": {}}                          drop faults and counters
// STS: GET /?Action=AssumeRoleWithWebIdentity with WebIdentityToken=mock-web-token and a
// RoleArn answers the mock's credentials with SessionToken mock-session (any other token: 403).
// GET /__stats answers {"requests": N, "refused": N, "gets": N, "lists": N}.
import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// Packages: from $MS_SIGSTORE_JS_PREFIX/node_modules when set, else next to this script.
const prefix = process.env.MS_SIGSTORE_JS_PREFIX;
const require = createRequire(prefix ? join(prefix, 'package.json') : import.meta.url);
const { SignatureV4 } = require('@aws-sdk/signature-v4');

const args = process.argv.slice(2);
const dir = args[args.indexOf('--dir') + 1];
const verify = !args.includes('--no-verify');
if (!dir || args.indexOf('--dir') < 0) {
    console.error('usage: node mock_s3.mjs --dir DIR [--no-verify]');
    process.exit(2);
}
const ACCESS = 'AKIDMOCK';
const SECRET = 'mock-secret';
const REGION = 'us-east-1';

class Sha256 {
    constructor(secret) {
        this.h = secret ? createHmac('sha256', secret) : createHash('sha256');
    }
    update(data) {
        this.h.update(data);
    }
    async digest() {
        return new Uint8Array(this.h.digest());
    }
}
const signer = new SignatureV4({
    credentials: { accessKeyId: ACCESS, secretAccessKey: SECRET },
    region: REGION,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
});

const buckets = new Map(); // name -> Map(key -> {body, etag})
const fakes = new Map(); // name -> {count, size}
const noFaults = () => ({ slowdown: new Map(), fail500: new Set(), truncate: new Map(), change: new Set(), del: new Set(), listFail: new Map() });
const noStats = () => ({ requests: 0, refused: 0, gets: 0, lists: 0 });
let faults = noFaults();
let stats = noStats();

const etagOf = (body) => '"' + createHash('md5').update(body).digest('hex') + '"';
const xmlEscape = (s) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
// encoding-type=url: as S3 does, everything but unreserved characters and '/' percent-encoded
const urlEncode = (s) =>
    Array.from(Buffer.from(s, 'utf8'))
        .map((b) => {
            const c = String.fromCharCode(b);
            return /[A-Za-z0-9\-._~\/]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
        })
        .join('');

function sendError(res, status, code, message) {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
    res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
}

function parseQuery(q) {
    const out = {};
    if (!q) return out;
    for (const part of q.split('&')) {
        if (!part) continue;
        const i = part.indexOf('=');
        const k = decodeURIComponent(i < 0 ? part : part.slice(0, i));
        out[k] = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
    }
    return out;
}

// The request's signature, recomputed by @aws-sdk/signature-v4 over exactly the headers the
// client says it signed; null when it matches, else the error to answer.
async function checkSignature(req, rawPath, query) {
    const auth = req.headers['authorization'] || '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return ['AccessDenied', 'no or malformed SigV4 Authorization header'];
    if (m[1] !== ACCESS) return ['InvalidAccessKeyId', 'unknown access key'];
    const amzDate = req.headers['x-amz-date'];
    if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== m[2])
        return ['AccessDenied', 'bad x-amz-date'];
    const signed = m[4].split(';');
    if (!signed.includes('host') || !signed.includes('x-amz-date') || !signed.includes('x-amz-content-sha256'))
        return ['AccessDenied', 'host, x-amz-date and x-amz-content-sha256 must be signed'];
    const headers = {};
    for (const h of signed) {
        if (req.headers[h] === undefined) return ['AccessDenied', `signed header ${h} missing`];
        headers[h] = req.headers[h];
    }
    const when = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    if (Math.abs(Date.now() - when.getTime()) > 15 * 60 * 1000) return ['RequestTimeTooSkewed', 'clock'];
    const [host, port] = req.headers.host.split(':');
    const out = await signer.sign(
        { method: req.method, protocol: 'http:', hostname: host, port: port ? Number(port) : undefined, path: rawPath, query, headers },
        { signingDate: when },
    );
    const want = /Signature=([0-9a-f]{64})/.exec(out.headers['authorization'])[1];
    if (want !== m[5]) return ['SignatureDoesNotMatch', 'the signature does not match'];
    return null;
}

function listFake(res, bucket, f, query) {
    const max = Math.min(Number(query['max-keys'] || 1000), 1000);
    const prefix = query.prefix || '';
    let start = query['continuation-token'] ? Number(query['continuation-token']) : 0;
    if (prefix && prefix !== 'k/') start = f.count;
    const end = Math.min(start + max, f.count);
    const parts = [`<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${end - start}</KeyCount><MaxKeys>${max}</MaxKeys><EncodingType>url</EncodingType><IsTruncated>${end < f.count}</IsTruncated>`];
    if (end < f.count) parts.push(`<NextContinuationToken>${end}</NextContinuationToken>`);
    const etag = etagOf(Buffer.alloc(f.size));
    for (let i = start; i < end; i++)
        parts.push(`<Contents><Key>k/${String(i).padStart(7, '0')}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${xmlEscape(etag)}</ETag><Size>${f.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
    parts.push('</ListBucketResult>');
    const body = parts.join('');
    res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
}

function list(res, bucket, objects, query) {
    if (query['list-type'] !== '2') return sendError(res, 400, 'InvalidArgument', 'only ListObjectsV2');
    stats.lists++;
    const lf = faults.listFail.get(bucket);
    if (lf !== undefined) {
        // pages 1..after answer; each later page (a continuation token) fails, for ever
        const page = query['continuation-token'] ? lf.seen.get(query['continuation-token']) : 1;
        if (page === undefined || page > lf.after)
            return sendError(res, 500, 'InternalError', 'We encountered an internal error.');
        const send = res.end.bind(res);
        res.end = (body) => {
            const m = /<NextContinuationToken>([^<]*)</.exec(String(body));
            if (m) lf.seen.set(m[1], page + 1);
            send(body);
        };
    }
    const f = fakes.get(bucket);
    if (f) return listFake(res, bucket, f, query);
    const prefix = query.prefix || '';
    const max = Math.min(Number(query['max-keys'] || 1000), 1000);
    const after = query['continuation-token'] ? Buffer.from(query['continuation-token'], 'base64').toString('utf8') : null;
    const keys = [...objects.keys()]
        .filter((k) => k.startsWith(prefix) && (after === null || Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, max);
    const truncated = keys.length > max;
    const enc = query['encoding-type'] === 'url';
    const e = (s) => (enc ? urlEncode(s) : xmlEscape(s));
    const parts = [`<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${e(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys>${enc ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>`];
    if (truncated) parts.push(`<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64')}</NextContinuationToken>`);
    for (const k of page) {
        const o = objects.get(k);
        parts.push(`<Contents><Key>${e(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
    }
    parts.push('</ListBucketResult>');
    const body = parts.join('');
    res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
}

function get(req, res, bucket, key, objects) {
    stats.gets++;
    const f = fakes.get(bucket);
    let o = objects.get(key);
    if (!o && f && /^k\/\d{7}$/.test(key) && Number(key.slice(2)) < f.count) {
        const body = Buffer.alloc(f.size);
        o = { body, etag: etagOf(body) };
    }
    if (o && faults.del.has(key)) {
        faults.del.delete(key);
        objects.delete(key);
        o = undefined;
    }
    if (!o) return sendError(res, 404, 'NoSuchKey', 'no such key');
    const n = faults.slowdown.get(key) || 0;
    if (n > 0) {
        faults.slowdown.set(key, n - 1);
        return sendError(res, 503, 'SlowDown', 'Please reduce your request rate.');
    }
    if (faults.fail500.has(key)) return sendError(res, 500, 'InternalError', 'We encountered an internal error.');
    if (faults.change.has(key)) {
        faults.change.delete(key);
        const body = Buffer.concat([o.body, Buffer.from('changed')]);
        o = { body, etag: etagOf(body) };
        objects.set(key, o);
    }
    const im = req.headers['if-match'];
    if (im !== undefined && im !== o.etag && im !== '*')
        return sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    const t = faults.truncate.get(key) || 0;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': o.body.length, ETag: o.etag });
    if (t > 0) {
        faults.truncate.set(key, t - 1);
        res.write(o.body.subarray(0, o.body.length >> 1));
        setTimeout(() => res.socket.destroy(), 20);
        return;
    }
    res.end(o.body);
}

function walk(root, rel, out) {
    for (const name of readdirSync(join(root, rel)).sort()) {
        const r = rel ? `${rel}/${name}` : name;
        const st = statSync(join(root, r));
        if (st.isDirectory()) walk(root, r, out);
        else if (st.isFile()) out.push(r);
    }
    return out;
}

function control(body) {
    const c = JSON.parse(body);
    if (c.put) {
        if (!buckets.has(c.put.bucket)) buckets.set(c.put.bucket, new Map());
        const b = Buffer.from(c.put.body, 'utf8');
        buckets.get(c.put.bucket).set(c.put.key, { body: b, etag: etagOf(b) });
    } else if (c.slowdown) faults.slowdown.set(c.slowdown.key, c.slowdown.count);
    else if (c.fail500) faults.fail500.add(c.fail500.key);
    else if (c.truncate) faults.truncate.set(c.truncate.key, c.truncate.count);
    else if (c.change_on_get) faults.change.add(c.change_on_get.key);
    else if (c.fake) fakes.set(c.fake.bucket, { count: c.fake.count, size: c.fake.size || 0 });
    else if (c.load_dir) {
        if (!buckets.has(c.load_dir.bucket)) buckets.set(c.load_dir.bucket, new Map());
        const m = buckets.get(c.load_dir.bucket);
        for (const r of walk(c.load_dir.dir, '', [])) {
            const b = readFileSync(join(c.load_dir.dir, r));
            m.set(r, { body: b, etag: etagOf(b) });
        }
    } else if (c.list_fail) faults.listFail.set(c.list_fail.bucket, { after: c.list_fail.after, seen: new Map() });
    else if (c.delete_on_get) faults.del.add(c.delete_on_get.key);
    else if (c.reset) {
        faults = noFaults();
        stats = noStats();
    }
    else throw new Error('unknown control ' + body);
}

const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', async () => {
        try {
            const body = Buffer.concat(chunks);
            const q = req.url.indexOf('?');
            const rawPath = q < 0 ? req.url : req.url.slice(0, q);
            const query = parseQuery(q < 0 ? '' : req.url.slice(q + 1));
            if (rawPath === '/__control' && req.method === 'POST') {
                control(body.toString('utf8'));
                res.writeHead(200, { 'Content-Length': 2 });
                return res.end('ok');
            }
            if (rawPath === '/__stats') {
                const s = JSON.stringify(stats);
                res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': s.length });
                return res.end(s);
            }
            if (query.Action === 'AssumeRoleWithWebIdentity') {
                if (query.WebIdentityToken !== 'mock-web-token' || !query.RoleArn)
                    return sendError(res, 403, 'AccessDenied', 'bad web identity token');
                const x = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${ACCESS}</AccessKeyId><SecretAccessKey>${SECRET}</SecretAccessKey><SessionToken>mock-session</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`;
                res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(x) });
                return res.end(x);
            }
            stats.requests++;
            if (verify && req.headers['x-amz-security-token'] !== undefined &&
                req.headers['x-amz-security-token'] !== 'mock-session') {
                stats.refused++;
                return sendError(res, 403, 'InvalidToken', 'bad session token');
            }
            if (verify) {
                const bad = await checkSignature(req, rawPath, query);
                if (bad) {
                    stats.refused++;
                    return sendError(res, 403, bad[0], bad[1]);
                }
                const ph = req.headers['x-amz-content-sha256'];
                if (/^[0-9a-f]{64}$/.test(ph) && createHash('sha256').update(body).digest('hex') !== ph) {
                    stats.refused++;
                    return sendError(res, 400, 'XAmzContentSHA256Mismatch', 'payload hash');
                }
            }
            const segs = rawPath.split('/');
            const bucket = decodeURIComponent(segs[1] || '');
            const key = decodeURIComponent(segs.slice(2).join('/'));
            if (req.method === 'PUT' && !key) {
                if (!buckets.has(bucket)) buckets.set(bucket, new Map());
                res.writeHead(200, { 'Content-Length': 0 });
                return res.end();
            }
            const objects = buckets.get(bucket) || (fakes.has(bucket) ? new Map() : null);
            if (!objects) return sendError(res, 404, 'NoSuchBucket', 'no such bucket');
            if (req.method === 'PUT') {
                objects.set(key, { body, etag: etagOf(body) });
                res.writeHead(200, { ETag: etagOf(body), 'Content-Length': 0 });
                return res.end();
            }
            if (req.method === 'GET' && !key) return list(res, bucket, objects, query);
            if (req.method === 'GET') return get(req, res, bucket, key, objects);
            return sendError(res, 405, 'MethodNotAllowed', req.method);
        } catch (e) {
            if (!res.headersSent) sendError(res, 400, 'BadRequest', String(e.message || e));
        }
    });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
    writeFileSync(join(dir, 'port.tmp'), String(server.address().port));
    writeFileSync(join(dir, 'port'), String(server.address().port));
});
process.on('SIGTERM', () => process.exit(0));
