// Upload a directory to an S3-compatible store with @aws-sdk/client-s3 (an independent client),
// for tests/interop/test_s3.sh: node s3_put.mjs ENDPOINT BUCKET PREFIX DIR [MARKER...]
// creates BUCKET (if need be), puts every file below DIR as PREFIX + its relative path (32 at a
// time), then each MARKER as an empty object (a folder marker, "PREFIX/sub/").
// Credentials from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
// Packages: from $MS_SIGSTORE_JS_PREFIX/node_modules when set, else next to this script.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const prefixDir = process.env.MS_SIGSTORE_JS_PREFIX;
const require = createRequire(prefixDir ? join(prefixDir, 'package.json') : import.meta.url);
const { S3Client, CreateBucketCommand, PutObjectCommand } = require('@aws-sdk/client-s3');

const [endpoint, bucket, prefix, dir, ...markers] = process.argv.slice(2);
if (!dir) {
    console.error('usage: node s3_put.mjs ENDPOINT BUCKET PREFIX DIR [MARKER...]');
    process.exit(2);
}
const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
});
function walk(rel, out) {
    for (const name of readdirSync(join(dir, rel))) {
        const r = rel ? `${rel}/${name}` : name;
        if (statSync(join(dir, r)).isDirectory()) walk(r, out);
        else out.push(r);
    }
    return out;
}
await client.send(new CreateBucketCommand({ Bucket: bucket }));
const files = walk('', []);
for (let i = 0; i < files.length; i += 32) {
    await Promise.all(
        files.slice(i, i + 32).map((r) =>
            client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + r, Body: readFileSync(join(dir, r)) })),
        ),
    );
}
for (const m of markers) await client.send(new PutObjectCommand({ Bucket: bucket, Key: m, Body: '' }));
console.log(`put ${files.length} files and ${markers.length} markers into ${bucket}`);
