/* Reading dataset manifests: a streaming, bounded, canonical reader. (The re-hash of a
 * directory against a manifest is dataset_rehash.c; the dataset statement, dataset_statement.c.)
 *
 * A manifest is untrusted. The reader decompresses with a bounded window, bounds every line
 * (MS_DATASET_MAX_LINE) and the whole stream (MS_DATASET_MAX_SIZE), parses each line with a
 * parser for exactly the two line shapes, and accepts a line only if re-encoding its values
 * gives back the same bytes: a dataset has one manifest, and a manifest digest names it. Paths
 * must be safe relative paths, strictly increasing in byte order; the header's counts, size and
 * root digest must agree with the lines. Nothing here trusts the header before the end. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "dataset_internal.h"
#include "format/statement_json.h"
#include "hash/walk.h"
#include "modelseal/dataset.h"
#include "modelseal/manifest.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

#define WINDOW_LOG_MAX 27 /* 128 MiB: the decompressor never needs more memory than that */

struct ms_dataset_reader {
    char *name; /* the manifest path, for messages */
    int fd;
    ZSTD_DCtx *dctx;
    uint8_t *in;
    size_t in_size;
    ZSTD_inBuffer zin;
    uint64_t in_total; /* compressed bytes read */
    uint8_t *out;
    size_t out_size, out_pos, out_len;
    int file_eof;
    int form;          /* the last refusal was of the line's form, not of a value */
    int out_full;      /* the last call filled the output: call again before reading more */
    size_t last_ret;   /* 0 when the last frame ended cleanly */
    uint64_t total;    /* decompressed bytes */
    ms_hasher *digest; /* SHA-256 of the decompressed bytes */
    uint8_t manifest_digest[MS_SHA256_SIZE];
    char *line; /* the current line, with its newline */
    size_t line_len;
    uint64_t line_no;
    char *path; /* the decoded path of the current line */
    char *prev; /* the previous line's path */
    size_t prev_len;
    int have_prev;
    ms_buf canon; /* re-encoding of the current line */
    ms_dataset_info hdr;
    size_t dlen;
    ms_hasher *root;
    uint64_t files, bytes;
    int done;
    dataset_part_info *part; /* a partial manifest's (dataset_reader_open_part), else NULL */
    /* r->digest, the SHA-256 of the decompressed manifest: not for a partial manifest, which
     * nothing refers to by digest (its merge is); its manifest_digest stays zero. */
};

/* ---- decompression and lines -------------------------------------------------------------- */

/* Decompress more into r->out. Returns 1 when bytes were produced, 0 at the clean end of the
 * stream, or an MS_E* code. */
static int fill(ms_dataset_reader *r, ms_error *err)
{
    for (;;) {
        if (r->zin.pos == r->zin.size && !r->out_full) {
            if (r->file_eof)
                break;
            ssize_t n = read(r->fd, r->in, r->in_size);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return ms_error_set(err, MS_EENV, "%s: read error: %s", r->name, strerror(errno));
            if (n == 0) {
                r->file_eof = 1;
                continue;
            }
            r->zin.src = r->in;
            r->zin.size = (size_t)n;
            r->zin.pos = 0;
            r->in_total += (uint64_t)n;
        }
        ZSTD_outBuffer zo = {r->out, r->out_size, 0};
        size_t ret = ZSTD_decompressStream(r->dctx, &zo, &r->zin);
        if (ZSTD_isError(ret)) {
            if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge)
                return ms_error_set(err, MS_EINPUT,
                                    "%s: a zstd frame needs a window over %u MiB; refused", r->name,
                                    1u << (WINDOW_LOG_MAX - 20));
            if (r->total == 0)
                return ms_error_set(err, MS_EINPUT, "%s: not a zstd stream (%s)", r->name,
                                    ZSTD_getErrorName(ret));
            return ms_error_set(err, MS_EINPUT,
                                "%s: invalid zstd data after %llu decompressed bytes (%s)", r->name,
                                (unsigned long long)r->total, ZSTD_getErrorName(ret));
        }
        r->last_ret = ret;
        r->out_full = zo.pos == zo.size;
        if (zo.pos) {
            if (r->total + zo.pos > MS_DATASET_MAX_SIZE)
                return ms_error_set(err, MS_EINPUT,
                                    "%s: larger than the limit of %llu bytes decompressed", r->name,
                                    (unsigned long long)MS_DATASET_MAX_SIZE);
            r->total += zo.pos;
            if (r->digest && ms_hasher_update(r->digest, r->out, zo.pos) != 0)
                return ms_error_set(err, MS_EENV, "%s: hashing failed", r->name);
            r->out_pos = 0;
            r->out_len = zo.pos;
            return 1;
        }
    }
    if (r->in_total == 0)
        return ms_error_set(err, MS_EINPUT, "%s: not a zstd stream (empty file)", r->name);
    if (r->last_ret != 0)
        return ms_error_set(err, MS_EINPUT, "%s: truncated zstd stream (%llu bytes)", r->name,
                            (unsigned long long)r->in_total);
    return 0;
}

/* The next line into r->line (with its newline). 1, 0 at the end, or an MS_E* code. */
static int next_line(ms_dataset_reader *r, ms_error *err)
{
    r->line_len = 0;
    r->line_no++;
    for (;;) {
        if (r->out_pos == r->out_len) {
            int rc = fill(r, err);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                if (r->line_len)
                    return ms_error_set(err, MS_EINPUT,
                                        "%s: line %llu: truncated (no newline at the end)", r->name,
                                        (unsigned long long)r->line_no);
                return 0;
            }
        }
        const uint8_t *start = r->out + r->out_pos;
        size_t avail = r->out_len - r->out_pos;
        const uint8_t *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) + 1 : avail;
        if (take > MS_DATASET_MAX_LINE - r->line_len)
            return ms_error_set(err, MS_EINPUT, "%s: line %llu: longer than %zu bytes", r->name,
                                (unsigned long long)r->line_no, MS_DATASET_MAX_LINE);
        memcpy(r->line + r->line_len, start, take);
        r->line_len += take;
        r->out_pos += take;
        if (nl)
            return 1;
    }
}

/* ---- parsing ------------------------------------------------------------------------------ */

typedef struct cursor {
    ms_dataset_reader *r;
    const char *p, *end;
    ms_error *err;
} cursor;

static int bad(cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A malformed line: "MANIFEST: line N: <message>". */
static int bad(cursor *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ms_error_set(c->err, MS_EINPUT, "%s: line %llu: %s", c->r->name,
                        (unsigned long long)c->r->line_no, msg);
}

static int lit(cursor *c, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

static int expect(cursor *c, const char *s, const char *field)
{
    if (lit(c, s))
        return 0;
    c->r->form = 1;
    return bad(c, "expected %s", field);
}

static int u4(cursor *c, unsigned *out)
{
    unsigned v = 0;
    if (c->end - c->p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int h = msx_hex_digit((unsigned char)c->p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    c->p += 4;
    *out = v;
    return 0;
}

/* A JSON string into dst (which has room for the line's length), NUL-terminated; *len gets
 * the decoded length. \u0000 is refused: a C string would silently end there. */
static int parse_string(cursor *c, const char *field, char *dst, size_t *len)
{
    size_t n = 0;
    if (!lit(c, "\"")) {
        c->r->form = 1;
        return bad(c, "%s: expected a string", field);
    }
    for (;;) {
        if (c->p == c->end)
            return bad(c, "%s: unterminated string", field);
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"')
            break;
        if (ch < 0x20)
            return bad(c, "%s: raw control character in a string", field);
        if (ch != '\\') {
            dst[n++] = (char)ch;
            continue;
        }
        if (c->p == c->end)
            return bad(c, "%s: unterminated string", field);
        char e = *c->p++;
        unsigned cp;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            dst[n++] = e;
            continue;
        case 'b':
            dst[n++] = '\b';
            continue;
        case 'f':
            dst[n++] = '\f';
            continue;
        case 'n':
            dst[n++] = '\n';
            continue;
        case 'r':
            dst[n++] = '\r';
            continue;
        case 't':
            dst[n++] = '\t';
            continue;
        case 'u':
            if (u4(c, &cp) != 0)
                return bad(c, "%s: bad \\u escape", field);
            break;
        default:
            return bad(c, "%s: bad escape in a string", field);
        }
        if (cp == 0)
            return bad(c, "%s: contains NUL (\\u0000)", field);
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return bad(c, "%s: unpaired surrogate escape", field);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (!lit(c, "\\u") || u4(c, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                return bad(c, "%s: unpaired surrogate escape", field);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        /* An escape is at least 6 bytes and encodes to at most 4 (12 to 4 for a pair). */
        if (cp < 0x80) {
            dst[n++] = (char)cp;
        } else if (cp < 0x800) {
            dst[n++] = (char)(0xC0 | cp >> 6);
            dst[n++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            dst[n++] = (char)(0xE0 | cp >> 12);
            dst[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
            dst[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            dst[n++] = (char)(0xF0 | cp >> 18);
            dst[n++] = (char)(0x80 | (cp >> 12 & 0x3F));
            dst[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
            dst[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    dst[n] = '\0';
    *len = n;
    return 0;
}

/* A non-negative integer without sign, fraction, exponent or leading zeros. */
static int parse_u64(cursor *c, const char *field, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(*c->p - '0'), &v))
            return bad(c, "%s: number too large", field);
        c->p++;
    }
    if (c->p == start || (c->p - start > 1 && *start == '0'))
        return bad(c, "%s: expected a non-negative integer", field);
    *out = v;
    return 0;
}

/* Exactly `len` bytes of lowercase hex digits. */
static int parse_hex(cursor *c, const char *field, uint8_t *out, size_t len)
{
    /* One more than each lowercase hex digit's value, 0 for anything else. A digest is not
     * secret, so no constant-time decoder; a table, as this runs for every line. */
    static const uint8_t val[256] = {
        ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
        ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
        ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};
    const unsigned char *p = (const unsigned char *)c->p;
    unsigned bad_digit = 0;
    if ((size_t)(c->end - c->p) < 2 * len)
        return bad(c, "%s: expected lowercase hex of the algorithm's length", field);
    for (size_t i = 0; i < len; i++) {
        unsigned hi = val[p[2 * i]], lo = val[p[2 * i + 1]];
        bad_digit |= (hi == 0) | (lo == 0);
        out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    if (bad_digit)
        return bad(c, "%s: expected lowercase hex of the algorithm's length", field);
    c->p += 2 * len;
    return 0;
}

/* A header string field (name, version, source, license): copied into *out (malloc'd), or
 * NULL for JSON null when `nullable`. */
static int header_text(cursor *c, const char *field, int nullable, char **out)
{
    size_t len;
    if (nullable && lit(c, "null")) {
        *out = NULL;
        return 0;
    }
    int rc = parse_string(c, field, c->r->path, &len);
    if (rc)
        return rc;
    if (len == 0)
        return bad(c, "%s: empty", field);
    if (len > MS_DATASET_MAX_FIELD)
        return bad(c, "%s: too long", field);
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)c->r->path[i] < 0x20 || c->r->path[i] == 0x7f)
            return bad(c, "%s: contains a control character", field);
    }
    if (!(*out = strdup(c->r->path)))
        return ms_error_nomem(c->err);
    return 0;
}

/* The header's "ignore" list: [] or ["a","b",...], each a safe relative path, strictly
 * increasing in byte order (sorted, each once), as the writer makes it. */
static int header_ignores(cursor *c)
{
    ms_dataset_info *h = &c->r->hdr;
    size_t len, cap = 0;
    int rc;
    if (!lit(c, "["))
        return bad(c, "%s", "ignore: expected an array of paths");
    if (lit(c, "]"))
        return 0;
    for (;;) {
        if ((rc = parse_string(c, "ignore", c->r->path, &len)) != 0)
            return rc;
        const char *p = c->r->path;
        if (!msx_path_is_safe(p, len) || !msx_path_fits_limits(p, len))
            return bad(c,
                       "ignore: \"%.200s\" is not a safe relative path (absolute, empty, '.', "
                       "'..', backslash or too long)",
                       p);
        if (h->n_ignore_paths) {
            int cmp = strcmp(h->ignore_paths[h->n_ignore_paths - 1], p);
            if (cmp == 0)
                return bad(c, "ignore: \"%.200s\" is listed twice", p);
            if (cmp > 0)
                return bad(c, "ignore: not sorted: \"%.200s\" comes after \"%.200s\"", p,
                           h->ignore_paths[h->n_ignore_paths - 1]);
        }
        if (h->n_ignore_paths == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            char **grown = realloc(h->ignore_paths, ncap * sizeof *grown);
            if (!grown)
                return ms_error_nomem(c->err);
            h->ignore_paths = grown;
            cap = ncap;
        }
        if (!(h->ignore_paths[h->n_ignore_paths] = strdup(p)))
            return ms_error_nomem(c->err);
        h->n_ignore_paths++;
        if (lit(c, "]"))
            return 0;
        if (!lit(c, ","))
            return bad(c, "%s", "ignore: expected ',' or ']' after a path");
    }
}

/* Compare the first `len` bytes of `prefix`, as a string of that length, with `s`. */
static int cmp_prefix(const char *prefix, size_t len, const char *s)
{
    int c = strncmp(prefix, s, len);
    if (c != 0)
        return c;
    return s[len] == '\0' ? 0 : -1;
}

/* 1 when `path` is an ignored path or lies under one ("a" hides "a" and "a/..."). */
static int under_ignored(const ms_dataset_info *h, const char *path, size_t len)
{
    if (h->n_ignore_paths == 0)
        return 0;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && path[i] != '/')
            continue;
        size_t lo = 0, hi = h->n_ignore_paths;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = cmp_prefix(path, i, h->ignore_paths[mid]);
            if (c == 0)
                return 1;
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
    }
    return 0;
}

/* The canonical-form check: the line must be exactly what the writer makes of its values. */
static int check_canonical(ms_dataset_reader *r, ms_error *err)
{
    if (r->canon.len != r->line_len || memcmp(r->canon.data, r->line, r->line_len) != 0)
        return ms_error_set(err, MS_EINPUT,
                            "%s: line %llu: not in canonical form (field order, spacing, "
                            "escapes or number format differ from what modelseal writes)",
                            r->name, (unsigned long long)r->line_no);
    return 0;
}

/* A line the exact reader refused for its form (`rc`, r->form, message in err) that is
 * nevertheless a JSON object with exactly the expected members (`keys`, NULL-terminated, of the
 * JSON `types`): the
 * refusal is a matter of form (member order, spacing, escapes), so say so, and what form is
 * expected. Other refusals (a member missing or unknown, a wrong value in the right form, a line
 * that is not JSON) keep the reader's own message. */
static int form_error(ms_dataset_reader *r, int rc, const char *const *keys, const char *types,
                      const char *expected, ms_error *err)
{
    cJSON *json = NULL;
    ms_error ignored;
    char detail[MS_ERROR_MESSAGE_MAX];
    if (rc != MS_EINPUT || !r->form ||
        msx_json_parse((const uint8_t *)r->line, r->line_len, MS_DATASET_MAX_LINE, "line", &json,
                       &ignored) != 0)
        return rc;
    /* Exactly the expected members, each of the expected JSON type (s: string, n: string or
     * null, a: array, d: number): then only the form differs. */
    int same = cJSON_IsObject(json);
    size_t n = 0;
    for (; same && keys[n]; n++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, keys[n]);
        switch (types[n]) {
        case 's':
            same = cJSON_IsString(v);
            break;
        case 'n':
            same = cJSON_IsString(v) || cJSON_IsNull(v);
            break;
        case 'a':
            same = cJSON_IsArray(v);
            break;
        default:
            same = cJSON_IsNumber(v);
        }
    }
    same = same && (size_t)cJSON_GetArraySize(json) == n;
    cJSON_Delete(json);
    if (!same)
        return rc;
    /* The reader's message after "NAME: line N: ". */
    const char *at = strstr(err->message, ": line ");
    at = at ? strstr(at + 7, ": ") : NULL;
    snprintf(detail, sizeof detail, "%s", at ? at + 2 : err->message);
    return ms_error_set(err, MS_EINPUT,
                        "%s: line %llu: not in canonical form: expected %s, members in this "
                        "order, no spaces (valid JSON with the right members; the exact reader "
                        "stopped at: %.200s)",
                        r->name, (unsigned long long)r->line_no, expected, detail);
}

/* The members of a header line and of a file line, in order, and their JSON types. */
static const char *const header_keys[] = {"_type",   "name",        "version",   "source",
                                          "license", "ignore",      "algorithm", "files",
                                          "bytes",   "root_digest", NULL};
static const char *const file_keys[] = {"path", "size", "digest", NULL};
#define HEADER_FORM                                                                                \
    "{\"_type\":...,\"name\":...,\"version\":...,\"source\":...,\"license\":...,\"ignore\":[...]," \
    "\"algorithm\":...,\"files\":N,\"bytes\":N,\"root_digest\":\"sha256:...\"}"
#define FILE_FORM "{\"path\":...,\"size\":N,\"digest\":\"<hex>\"}"

/* A partial manifest's members after "root_digest":"sha256:<hex>" (up to its closing quote):
 * ","partition":[I,N],"paths":T,"paths_digest":"sha256:<hex>". */
static int parse_partition(cursor *c, dataset_part_info *part)
{
    uint64_t index, count;
    int rc;
    if ((rc = expect(c, "\",\"partition\":[", "\"partition\":[I,N] after \"root_digest\"")) != 0 ||
        (rc = parse_u64(c, "partition", &index)) != 0 ||
        (rc = expect(c, ",", "partition: [I,N]")) != 0 ||
        (rc = parse_u64(c, "partition", &count)) != 0 ||
        (rc = expect(c, "],\"paths\":", "\"paths\" after \"partition\"")) != 0 ||
        (rc = parse_u64(c, "paths", &part->paths)) != 0 ||
        (rc = expect(c, ",\"paths_digest\":\"sha256:",
                     "\"paths_digest\":\"sha256:<hex>\" after \"paths\"")) != 0 ||
        (rc = parse_hex(c, "paths_digest", part->paths_digest, MS_SHA256_SIZE)) != 0)
        return rc;
    if (count == 0 || count > MS_DATASET_MAX_PARTITIONS || index >= count)
        return bad(c, "partition: [%llu,%llu] is not a share I of N (0 <= I < N <= %u)",
                   (unsigned long long)index, (unsigned long long)count, MS_DATASET_MAX_PARTITIONS);
    part->index = (uint32_t)index;
    part->count = (uint32_t)count;
    return 0;
}

static int parse_header(ms_dataset_reader *r, ms_error *err)
{
    cursor c = {r, r->line, r->line + r->line_len, err};
    ms_dataset_info *h = &r->hdr;
    size_t len;
    int rc;
    if (!msx_utf8_valid(r->line, r->line_len))
        return bad(&c, "%s", "not valid UTF-8");
    r->form = 0;
    if (!lit(&c, "{\"_type\":")) {
        r->form = 1;
        if (lit(&c, "{\"path\":"))
            return bad(&c, "%s", "missing header: the first line is a file line");
        return bad(&c, "%s", "missing header (expected {\"_type\":...})");
    }
    if ((rc = parse_string(&c, "_type", r->path, &len)) != 0)
        return rc;
    if (strcmp(r->path, MS_DATASET_MANIFEST_TYPE) != 0) {
        char shown[120];
        snprintf(shown, sizeof shown, "%.100s", r->path);
        return bad(&c, "_type: unsupported \"%s\"", shown);
    }
    char *alg = NULL;
    if ((rc = expect(&c, ",\"name\":", "\"name\" after \"_type\"")) != 0 ||
        (rc = header_text(&c, "name", 0, &h->name)) != 0 ||
        (rc = expect(&c, ",\"version\":", "\"version\" after \"name\"")) != 0 ||
        (rc = header_text(&c, "version", 1, &h->version)) != 0 ||
        (rc = expect(&c, ",\"source\":", "\"source\" after \"version\"")) != 0 ||
        (rc = header_text(&c, "source", 1, &h->source)) != 0 ||
        (rc = expect(&c, ",\"license\":", "\"license\" after \"source\"")) != 0 ||
        (rc = header_text(&c, "license", 1, &h->license)) != 0 ||
        (rc = expect(&c, ",\"ignore\":",
                     "\"ignore\" after \"license\" (a manifest from before the \"ignore\" "
                     "list is not read: write it again)")) != 0 ||
        (rc = header_ignores(&c)) != 0 ||
        (rc = expect(&c, ",\"algorithm\":", "\"algorithm\" after \"ignore\"")) != 0 ||
        (rc = header_text(&c, "algorithm", 0, &alg)) != 0)
        return rc;
    rc = ms_hash_parse(alg, &h->algorithm);
    free(alg);
    if (rc != 0)
        return bad(&c, "%s", "algorithm: expected \"sha256\", \"blake2b\" or \"blake3\"");
    if ((rc = expect(&c, ",\"files\":", "\"files\" after \"algorithm\"")) != 0 ||
        (rc = parse_u64(&c, "files", &h->files)) != 0 ||
        (rc = expect(&c, ",\"bytes\":", "\"bytes\" after \"files\"")) != 0 ||
        (rc = parse_u64(&c, "bytes", &h->bytes)) != 0 ||
        (rc = expect(&c, ",\"root_digest\":\"sha256:",
                     "\"root_digest\":\"sha256:<hex>\" after \"bytes\"")) != 0 ||
        (rc = parse_hex(&c, "root_digest", h->root_digest, MS_SHA256_SIZE)) != 0)
        return rc;
    if (!r->part && lit(&c, "\",\"partition\":"))
        return bad(&c, "%s",
                   "a partial manifest (one share of 'dataset manifest --partition'): merge "
                   "all the parts with 'modelseal dataset merge'");
    if (r->part && (rc = parse_partition(&c, r->part)) != 0)
        return rc;
    if ((rc = expect(&c, "\"}\n", "the end of the header after \"root_digest\"")) != 0)
        return rc;
    if (c.p != c.end)
        return bad(&c, "%s", "unexpected data after the header object");
    r->dlen = ms_hash_size(h->algorithm);
    msx_buf_reset(&r->canon);
    if ((rc = dataset_part_header_line(h, r->part, &r->canon, err)) != 0)
        return rc;
    return check_canonical(r, err);
}

static int parse_file_line(ms_dataset_reader *r, uint64_t *size, uint8_t *digest, ms_error *err)
{
    cursor c = {r, r->line, r->line + r->line_len, err};
    size_t len;
    int rc;
    if (!msx_utf8_valid(r->line, r->line_len))
        return bad(&c, "%s", "not valid UTF-8");
    r->form = 0;
    if (!lit(&c, "{\"path\":")) {
        r->form = 1;
        if (lit(&c, "{\"_type\":"))
            return bad(&c, "%s", "a second header line");
        return bad(&c, "%s", "expected {\"path\":...,\"size\":...,\"digest\":...}");
    }
    if ((rc = parse_string(&c, "path", r->path, &len)) != 0 ||
        (rc = expect(&c, ",\"size\":", "\"size\" after \"path\"")) != 0 ||
        (rc = parse_u64(&c, "size", size)) != 0 ||
        (rc = expect(&c, ",\"digest\":\"", "\"digest\" after \"size\"")) != 0 ||
        (rc = parse_hex(&c, "digest", digest, r->dlen)) != 0 ||
        (rc = expect(&c, "\"}\n", "the end of the line after \"digest\"")) != 0)
        return rc;
    if (c.p != c.end)
        return bad(&c, "%s", "unexpected data after the object");
    if (!msx_path_is_safe(r->path, len))
        return ms_error_set(err, MS_EINPUT,
                            "%s: line %llu: path \"%.200s\" is not a safe relative path (absolute, "
                            "empty, '.', '..' or backslash)",
                            r->name, (unsigned long long)r->line_no, r->path);
    if (!msx_path_fits_limits(r->path, len))
        return ms_error_set(err, MS_EINPUT,
                            "%s: line %llu: path \"%.200s...\" is longer than a file name "
                            "(NAME_MAX) or path (PATH_MAX) can be",
                            r->name, (unsigned long long)r->line_no, r->path);
    if (under_ignored(&r->hdr, r->path, len))
        return ms_error_set(err, MS_EINPUT,
                            "%s: line %llu: path \"%.200s\" is one the header's \"ignore\" list "
                            "leaves out",
                            r->name, (unsigned long long)r->line_no, r->path);
    if (r->have_prev) {
        int cmp = strcmp(r->prev, r->path);
        if (cmp == 0)
            return ms_error_set(err, MS_EINPUT, "%s: line %llu: duplicate path \"%.200s\"", r->name,
                                (unsigned long long)r->line_no, r->path);
        if (cmp > 0)
            return ms_error_set(err, MS_EINPUT,
                                "%s: line %llu: not sorted: \"%.200s\" comes after \"%.200s\"",
                                r->name, (unsigned long long)r->line_no, r->path, r->prev);
    }
    msx_buf_reset(&r->canon);
    if ((rc = dataset_file_line(r->path, *size, digest, r->dlen, &r->canon, err)) != 0)
        return rc;
    if ((rc = check_canonical(r, err)) != 0)
        return rc;
    memcpy(r->prev, r->path, len + 1);
    r->prev_len = len;
    r->have_prev = 1;
    return 0;
}

/* ---- the reader --------------------------------------------------------------------------- */

void ms_dataset_reader_free(ms_dataset_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    free(r->in);
    free(r->out);
    ms_hasher_free(r->digest);
    ms_hasher_free(r->root);
    free(r->line);
    free(r->path);
    free(r->prev);
    msx_buf_free(&r->canon);
    ms_dataset_info_clear(&r->hdr);
    free(r->name);
    free(r);
}

/* A deep copy of `src` into `dst` (cleared first). 0 or MS_ENOMEM (dst left cleared). */
static int copy_info(ms_dataset_info *dst, const ms_dataset_info *src, ms_error *err)
{
    ms_dataset_info_clear(dst);
    *dst = *src;
    dst->name = dst->version = dst->source = dst->license = NULL;
    dst->ignore_paths = NULL;
    dst->n_ignore_paths = 0;
    if (!(dst->name = strdup(src->name)) ||
        (src->version && !(dst->version = strdup(src->version))) ||
        (src->source && !(dst->source = strdup(src->source))) ||
        (src->license && !(dst->license = strdup(src->license))) ||
        (src->n_ignore_paths &&
         !(dst->ignore_paths = calloc(src->n_ignore_paths, sizeof *dst->ignore_paths))))
        goto nomem;
    for (size_t i = 0; i < src->n_ignore_paths; i++) {
        if (!(dst->ignore_paths[i] = strdup(src->ignore_paths[i])))
            goto nomem;
        dst->n_ignore_paths++;
    }
    return 0;
nomem:
    ms_dataset_info_clear(dst);
    return ms_error_nomem(err);
}

static ms_dataset_reader *reader_open(const char *path, ms_dataset_info *info,
                                      dataset_part_info *part, ms_error *err)
{
    ms_dataset_reader *r = calloc(1, sizeof *r);
    int rc = 0;
    if (!r) {
        ms_error_nomem(err);
        return NULL;
    }
    r->part = part;
    r->fd = -1;
    r->in_size = ZSTD_DStreamInSize();
    r->out_size = ZSTD_DStreamOutSize();
    if (!(r->name = strdup(path)) || !(r->dctx = ZSTD_createDCtx()) ||
        !(r->in = malloc(r->in_size)) || !(r->out = malloc(r->out_size)) ||
        (!part && !(r->digest = ms_hasher_new(MS_HASH_SHA256))) ||
        !(r->root = ms_hasher_new(MS_HASH_SHA256)) || !(r->line = malloc(MS_DATASET_MAX_LINE)) ||
        !(r->path = malloc(MS_DATASET_MAX_LINE + 1)) ||
        !(r->prev = malloc(MS_DATASET_MAX_LINE + 1))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (ZSTD_isError(ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, WINDOW_LOG_MAX))) {
        rc = ms_error_set(err, MS_EENV, "zstd: cannot bound the window size");
        goto out;
    }
    if ((rc = msx_file_open_regular(path, 0, &r->fd, NULL, err)) != 0)
        goto out;
    if ((rc = next_line(r, err)) < 0)
        goto out;
    if (rc == 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: empty manifest (no header line)", path);
        goto out;
    }
    if ((rc = parse_header(r, err)) != 0) {
        if (!part)
            rc = form_error(r, rc, header_keys, "snnnnasdds", HEADER_FORM, err);
        goto out;
    }
    if (info && (rc = copy_info(info, &r->hdr, err)) != 0)
        goto out;
out:
    if (rc) {
        ms_dataset_reader_free(r);
        return NULL;
    }
    return r;
}

ms_dataset_reader *ms_dataset_reader_open(const char *path, ms_dataset_info *info, ms_error *err)
{
    return reader_open(path, info, NULL, err);
}

ms_dataset_reader *dataset_reader_open_part(const char *path, ms_dataset_info *info,
                                            dataset_part_info *part, ms_error *err)
{
    return reader_open(path, info, part, err);
}

/* At the end of the lines: the stream, counts, size and root must agree with the header. */
static int finish(ms_dataset_reader *r, ms_error *err)
{
    uint8_t root[MS_SHA256_SIZE];
    char want[2 * MS_SHA256_SIZE + 1], got[2 * MS_SHA256_SIZE + 1];
    if (r->files != r->hdr.files)
        return ms_error_set(err, MS_EINPUT,
                            "%s: the header says %llu files, the manifest lists %llu", r->name,
                            (unsigned long long)r->hdr.files, (unsigned long long)r->files);
    if (r->bytes != r->hdr.bytes)
        return ms_error_set(
            err, MS_EINPUT, "%s: the header says %llu bytes, the file lines add up to %llu",
            r->name, (unsigned long long)r->hdr.bytes, (unsigned long long)r->bytes);
    if (ms_hasher_final(r->root, root) != 0 ||
        (r->digest && ms_hasher_final(r->digest, r->manifest_digest) != 0))
        return ms_error_set(err, MS_EENV, "%s: hashing failed", r->name);
    if (sodium_memcmp(root, r->hdr.root_digest, MS_SHA256_SIZE) != 0) {
        msx_hex_encode(r->hdr.root_digest, MS_SHA256_SIZE, want);
        msx_hex_encode(root, MS_SHA256_SIZE, got);
        return ms_error_set(err, MS_EINPUT,
                            "%s: root_digest sha256:%s in the header does not match its file "
                            "lines (sha256:%s)",
                            r->name, want, got);
    }
    r->done = 1;
    return 0;
}

int ms_dataset_reader_next(ms_dataset_reader *r, const char **path, uint64_t *size, uint8_t *digest,
                           ms_error *err)
{
    int rc;
    if (r->done)
        return 0;
    if ((rc = next_line(r, err)) < 0)
        return rc;
    if (rc == 0)
        return finish(r, err);
    if ((rc = parse_file_line(r, size, digest, err)) != 0)
        return form_error(r, rc, file_keys, "sds", FILE_FORM, err);
    if (r->files == r->hdr.files)
        return ms_error_set(err, MS_EINPUT, "%s: line %llu: more file lines than the header's %llu",
                            r->name, (unsigned long long)r->line_no,
                            (unsigned long long)r->hdr.files);
    if (__builtin_add_overflow(r->bytes, *size, &r->bytes))
        return ms_error_set(err, MS_EINPUT, "%s: line %llu: sizes add up to more than 2^64",
                            r->name, (unsigned long long)r->line_no);
    r->files++;
    if (ms_hasher_update(r->root, digest, r->dlen) != 0)
        return ms_error_set(err, MS_EENV, "%s: hashing failed", r->name);
    *path = r->path;
    return 1;
}

const char *dataset_reader_line(const ms_dataset_reader *r, size_t *len)
{
    *len = r->line_len;
    return r->line;
}

void ms_dataset_reader_digest(const ms_dataset_reader *r, uint8_t out[MS_SHA256_SIZE])
{
    memcpy(out, r->manifest_digest, MS_SHA256_SIZE);
}

int ms_dataset_info_load(const char *manifest_path, ms_dataset_info *info, ms_error *err)
{
    ms_dataset_info tmp;
    const char *path;
    uint64_t size;
    uint8_t digest[MS_HASH_MAX_SIZE];
    int rc;
    memset(&tmp, 0, sizeof tmp);
    ms_dataset_reader *r = ms_dataset_reader_open(manifest_path, &tmp, err);
    if (!r)
        return err ? err->code : MS_EINPUT;
    while ((rc = ms_dataset_reader_next(r, &path, &size, digest, err)) == 1)
        ;
    if (rc == 0) {
        ms_dataset_reader_digest(r, tmp.manifest_digest);
        ms_dataset_info_clear(info);
        *info = tmp;
    } else {
        ms_dataset_info_clear(&tmp);
    }
    ms_dataset_reader_free(r);
    return rc;
}
