/* The claims file: bounded, strict reading of JSON Lines bundles, and locked atomic appends. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modelseal/claims.h"
#include "modelseal/manifest.h"
#include "util/buf.h"
#include "util/fs.h"

void ms_claims_free(ms_claims *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].text);
        ms_bundle_free(c->items[i].bundle);
        ms_statement_free(c->items[i].statement);
    }
    free(c->items);
    free(c);
}

/* Parse one line into `claim` (bundle + statement). Messages are prefixed by the caller. */
static int parse_line(const uint8_t *line, size_t len, ms_claim *claim, ms_error *err)
{
    if (len == 0)
        return ms_error_set(err, MS_EINPUT, "empty line");
    if (len > MS_CLAIMS_MAX_LINE)
        return ms_error_set(err, MS_EINPUT, "longer than the limit of %zu bytes",
                            MS_CLAIMS_MAX_LINE);
    if (memchr(line, '\n', len) || memchr(line, '\r', len))
        return ms_error_set(err, MS_EINPUT, "a claim must be one line");
    int rc = ms_bundle_parse(line, len, &claim->bundle, err);
    if (rc != 0)
        return rc;
    const ms_dsse_envelope *env = ms_bundle_envelope(claim->bundle);
    if (!env)
        return ms_error_set(err, MS_EINPUT, "dsseEnvelope: missing (a claim is a DSSE statement)");
    return ms_statement_parse_generic(env->payload, env->payload_len, &claim->statement, err);
}

/* Prefix err's message with "what: line N: ". */
static int prefix_error(ms_error *err, int rc, const char *what, size_t line_number)
{
    if (!err || rc == MS_ENOMEM)
        return rc;
    char msg[MS_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    return ms_error_set(err, rc, "%s: line %zu: %s", what, line_number, msg);
}

int ms_claims_check_line(const char *line, size_t len, const char *what, ms_error *err)
{
    ms_claim claim;
    memset(&claim, 0, sizeof claim);
    int rc = parse_line((const uint8_t *)line, len, &claim, err);
    ms_bundle_free(claim.bundle);
    ms_statement_free(claim.statement);
    if (rc != 0 && rc != MS_ENOMEM) {
        char msg[MS_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        rc = ms_error_set(err, rc, "%s: %s", what, msg);
    }
    return rc;
}

int ms_claims_parse(const uint8_t *text, size_t len, const char *what, ms_claims **out,
                    ms_error *err)
{
    int rc = 0;
    size_t cap = 0;
    ms_claims *c = NULL;

    *out = NULL;
    if (len > MS_CLAIMS_MAX_SIZE)
        return ms_error_set(err, MS_EINPUT, "%s: larger than the limit of %zu bytes", what,
                            MS_CLAIMS_MAX_SIZE);
    if (!(c = calloc(1, sizeof *c)))
        return ms_error_nomem(err);
    size_t pos = 0, line_number = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        line_number++;
        if (c->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            ms_claim *p = reallocarray(c->items, ncap, sizeof *p);
            if (!p) {
                rc = ms_error_nomem(err);
                goto out;
            }
            c->items = p;
            cap = ncap;
        }
        ms_claim *claim = &c->items[c->n];
        memset(claim, 0, sizeof *claim);
        c->n++;
        claim->line_number = line_number;
        if ((rc = parse_line(text + pos, line_len, claim, err)) != 0) {
            rc = prefix_error(err, rc, what, line_number);
            goto out;
        }
        if (!(claim->text = malloc(line_len + 1))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        memcpy(claim->text, text + pos, line_len);
        claim->text[line_len] = '\0';
        claim->len = line_len;
        pos += line_len + (nl ? 1 : 0);
    }
out:
    if (rc != 0) {
        ms_claims_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* Read `path` into `buf`; a missing file leaves it empty and sets *missing. */
static int read_claims_text(const char *path, ms_buf *buf, int *missing, ms_error *err)
{
    int rc = msx_file_read_regular(path, MS_CLAIMS_MAX_SIZE, MS_FILE_MISSING_OK, buf, err);
    *missing = rc == 1;
    return rc == 1 ? 0 : rc;
}

int ms_claims_read(const char *path, int missing_ok, ms_claims **out, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int missing = 0;
    *out = NULL;
    int rc = read_claims_text(path, &buf, &missing, err);
    if (rc == 0 && missing && !missing_ok)
        rc = ms_error_set(err, MS_EINPUT, "%s: no such claims file", path);
    if (rc == 0)
        rc = ms_claims_parse(buf.data, buf.len, path, out, err);
    msx_buf_free(&buf);
    return rc;
}

/* Is `line` one of the existing claims or of lines[0..n)? */
static int line_present(const ms_claims *c, const char *const *lines, const size_t *lens, size_t n,
                        const char *line, size_t len)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i].len == len && memcmp(c->items[i].text, line, len) == 0)
            return 1;
    for (size_t i = 0; i < n; i++)
        if (lens[i] == len && memcmp(lines[i], line, len) == 0)
            return 1;
    return 0;
}

int ms_claims_append(const char *path, const char *const *lines, const size_t *lens, size_t n,
                     size_t *added, ms_error *err)
{
    int rc = 0, lock_fd = -1, missing = 0;
    size_t n_added = 0;
    ms_buf text = MS_BUF_INIT;
    ms_claims *current = NULL;

    if (added)
        *added = 0;
    for (size_t i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, "new claim %zu", i + 1);
        if ((rc = ms_claims_check_line(lines[i], lens[i], what, err)) != 0)
            return rc;
    }
    if ((lock_fd = msx_file_lock_dir(path, err)) < 0)
        return err ? err->code : MS_EENV;
    if ((rc = msx_file_remove_stale_temps(path, NULL, err)) != 0 ||
        (rc = read_claims_text(path, &text, &missing, err)) != 0)
        goto out;
    if ((rc = ms_claims_parse(text.data, text.len, path, &current, err)) != 0)
        goto out;
    if (text.len > 0 && text.data[text.len - 1] != '\n' && msx_buf_append(&text, "\n", 1)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (line_present(current, lines, lens, i, lines[i], lens[i]))
            continue;
        size_t total;
        if (__builtin_add_overflow(text.len, lens[i], &total) || total >= MS_CLAIMS_MAX_SIZE) {
            rc = ms_error_set(err, MS_EINPUT, "%s: would grow beyond the limit of %zu bytes", path,
                              MS_CLAIMS_MAX_SIZE);
            goto out;
        }
        if (msx_buf_append(&text, lines[i], lens[i]) || msx_buf_append(&text, "\n", 1)) {
            rc = ms_error_nomem(err);
            goto out;
        }
        n_added++;
    }
    if (n_added > 0)
        rc = msx_file_write_atomic(path, text.data, text.len, 0644, 0, err);
    if (rc == 0 && added)
        *added = n_added;
out:
    if (lock_fd >= 0)
        close(lock_fd); /* releases the lock */
    ms_claims_free(current);
    msx_buf_free(&text);
    return rc;
}

size_t ms_claims_find(const ms_claims *c, const uint8_t digest[MS_SHA256_SIZE],
                      const char *predicate_type, size_t start)
{
    for (size_t i = start; i < c->n; i++) {
        const ms_statement *st = c->items[i].statement;
        if (memcmp(st->subject_digest, digest, MS_SHA256_SIZE) != 0)
            continue;
        if (predicate_type && strcmp(st->predicate_type, predicate_type) != 0)
            continue;
        return i;
    }
    return c->n;
}

char *ms_claims_default_path(const char *model, ms_error *err)
{
    return ms_model_companion_path(model, MS_CLAIMS_FILE, ".claims.jsonl", err);
}
