/* AWS credentials, region and Signature Version 4 (see aws.h): one implementation for every
 * AWS-speaking client. The files are parsed as hostile input (bounded size, bounded values,
 * errors naming file and line); secrets are held in sodium_malloc'd memory and wiped. */
#include "config.h"

#include <ctype.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "net/aws.h"
#include "util/encoding.h"
#include "util/fs.h"

/* ---- secrets ---- */

/* sodium_malloc'd copy (guard pages, wiped on free); NULL when out of memory or libsodium
 * cannot start. */
static char *secret_dup(const char *s, size_t len)
{
    if (sodium_init() < 0 || len > SIZE_MAX - 1)
        return NULL;
    char *p = sodium_malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static void secret_free(char *p)
{
    if (p) {
        sodium_memzero(p, strlen(p));
        sodium_free(p);
    }
}

/* Per-request copies (a signed header may carry the session token): plain malloc, wiped before
 * free. sodium_malloc's guard pages cost an mmap, mprotects and a TLB shootdown across threads
 * per allocation: fine once per credential, ruinous once per request. */
static char *wiped_dup(const char *s, size_t len)
{
    char *p = len < SIZE_MAX ? malloc(len + 1) : NULL;
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static void wiped_free(char *p)
{
    if (p) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}

void aws_value_free(char *value)
{
    secret_free(value);
}

void aws_credentials_clear(aws_credentials *c)
{
    if (!c)
        return;
    secret_free(c->access_key_id);
    secret_free(c->secret_access_key);
    secret_free(c->session_token);
    memset(c, 0, sizeof *c);
}

int aws_credentials_set(aws_credentials *c, const char *access_key_id,
                        const char *secret_access_key, const char *session_token,
                        const char *source, ms_error *err)
{
    aws_credentials_clear(c);
    c->access_key_id = secret_dup(access_key_id, strlen(access_key_id));
    c->secret_access_key = secret_dup(secret_access_key, strlen(secret_access_key));
    if (session_token && session_token[0])
        c->session_token = secret_dup(session_token, strlen(session_token));
    if (!c->access_key_id || !c->secret_access_key ||
        (session_token && session_token[0] && !c->session_token)) {
        aws_credentials_clear(c);
        return ms_error_nomem(err);
    }
    snprintf(c->source, sizeof c->source, "%s", source);
    return 0;
}

/* ---- the INI-like files ---- */

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int aws_ini_get(const char *text, size_t len, const char *file, const char *section,
                const char *key, char **value, ms_error *err)
{
    size_t line_no = 0, klen = strlen(key), slen = strlen(section);
    int in_section = 0, found = 0;
    *value = NULL;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        size_t a = i, b = e;
        i = e < len ? e + 1 : e;
        line_no++;
        if (a < b && blank(text[a])) {
            /* an indented line: a sub-setting ("s3 =\n  addressing_style = path"), skipped */
            continue;
        }
        while (b > a && blank(text[b - 1]))
            b--;
        if (a == b || text[a] == '#' || text[a] == ';')
            continue;
        if (memchr(text + a, '\0', b - a))
            goto bad;
        if (text[a] == '[') {
            if (text[b - 1] != ']')
                goto bad;
            size_t x = a + 1, y = b - 1;
            while (x < y && blank(text[x]))
                x++;
            while (y > x && blank(text[y - 1]))
                y--;
            in_section = y - x == slen && memcmp(text + x, section, slen) == 0;
            continue;
        }
        const char *eq = memchr(text + a, '=', b - a);
        if (!eq)
            goto bad;
        size_t ke = (size_t)(eq - text);
        while (ke > a && blank(text[ke - 1]))
            ke--;
        if (ke == a)
            goto bad;
        if (!in_section || ke - a != klen || memcmp(text + a, key, klen) != 0)
            continue;
        size_t v = (size_t)(eq - text) + 1;
        while (v < b && blank(text[v]))
            v++;
        if (b - v > AWS_MAX_VALUE)
            return ms_error_set(err, MS_EINPUT, "%s:%zu: the value of %s is longer than %zu bytes",
                                file, line_no, key, AWS_MAX_VALUE);
        char *copy = secret_dup(text + v, b - v);
        if (!copy) {
            secret_free(*value);
            *value = NULL;
            return ms_error_nomem(err);
        }
        secret_free(*value); /* the last one wins */
        *value = copy;
        found = 1;
    }
    return found;
bad:
    secret_free(*value);
    *value = NULL;
    return ms_error_set(err, MS_EINPUT,
                        "%s:%zu: not a [section], a comment or a \"key = value\" line", file,
                        line_no);
}

/* The path of a shared file: the environment's, else ~/.aws/NAME. NULL when there is no home. */
static char *shared_file(const char *env, const char *name)
{
    const char *p = getenv(env);
    if (p && p[0])
        return strdup(p);
    const char *home = getenv("HOME");
    if (!home || !home[0])
        return NULL;
    size_t n = strlen(home) + strlen(name) + 8;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/.aws/%s", home, name);
    return out;
}

/* Read a shared file into `text` (sodium_malloc'd, as it holds secrets). 1 read, 0 absent. */
static int read_shared(const char *path, char **text, size_t *len, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc;
    *text = NULL;
    *len = 0;
    rc = msx_file_read_regular(path, AWS_MAX_CONFIG_FILE, MS_FILE_MISSING_OK, &buf, err);
    if (rc == 1) { /* missing */
        rc = 0;
    } else if (rc == 0) {
        if ((*text = secret_dup(buf.data ? (const char *)buf.data : "", buf.len)) != NULL) {
            *len = buf.len;
            rc = 1;
        } else {
            rc = ms_error_nomem(err);
        }
    }
    if (buf.data)
        sodium_memzero(buf.data, buf.cap);
    msx_buf_free(&buf);
    return rc;
}

typedef struct shared_files {
    char *cred_path, *config_path;
    char *cred, *config; /* texts (NULL when absent) */
    size_t cred_len, config_len;
    char profile[256];
    char config_section[270]; /* "default" or "profile NAME" */
} shared_files;

static void shared_files_free(shared_files *s)
{
    free(s->cred_path);
    free(s->config_path);
    if (s->cred) {
        sodium_memzero(s->cred, s->cred_len);
        sodium_free(s->cred);
    }
    if (s->config) {
        sodium_memzero(s->config, s->config_len);
        sodium_free(s->config);
    }
    memset(s, 0, sizeof *s);
}

static int shared_files_open(const char *profile, int want_credentials, shared_files *s,
                             ms_error *err)
{
    int rc;
    memset(s, 0, sizeof *s);
    if (!profile || !profile[0])
        profile = getenv("AWS_PROFILE");
    if (!profile || !profile[0])
        profile = "default";
    if (strlen(profile) >= sizeof s->profile)
        return ms_error_set(err, MS_EINPUT, "AWS profile name longer than %zu bytes",
                            sizeof s->profile - 1);
    snprintf(s->profile, sizeof s->profile, "%s", profile);
    if (strcmp(profile, "default") == 0)
        snprintf(s->config_section, sizeof s->config_section, "default");
    else
        snprintf(s->config_section, sizeof s->config_section, "profile %s", profile);
    if (want_credentials) {
        s->cred_path = shared_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
        if (s->cred_path && (rc = read_shared(s->cred_path, &s->cred, &s->cred_len, err)) < 0)
            return rc;
    }
    s->config_path = shared_file("AWS_CONFIG_FILE", "config");
    if (s->config_path && (rc = read_shared(s->config_path, &s->config, &s->config_len, err)) < 0)
        return rc;
    return 0;
}

/* ---- region ---- */

static int region_valid(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
            return 0;
    }
    return 1;
}

int aws_region_resolve(const char *profile, char *out, size_t size, ms_error *err)
{
    const char *env = getenv("AWS_REGION");
    const char *from = "AWS_REGION";
    shared_files s;
    char *value = NULL;
    int rc = 0;
    out[0] = '\0';
    if (!env || !env[0]) {
        env = getenv("AWS_DEFAULT_REGION");
        from = "AWS_DEFAULT_REGION";
    }
    if (env && env[0]) {
        if (!region_valid(env) || strlen(env) >= size)
            return ms_error_set(err, MS_EINPUT, "%s: not a region name ([a-z0-9-], at most 63)",
                                from);
        snprintf(out, size, "%s", env);
        return 0;
    }
    if ((rc = shared_files_open(profile, 0, &s, err)) != 0)
        goto out;
    if (s.config && (rc = aws_ini_get(s.config, s.config_len, s.config_path, s.config_section,
                                      "region", &value, err)) < 0)
        goto out;
    rc = 0;
    if (value) {
        if (!region_valid(value) || strlen(value) >= size) {
            rc = ms_error_set(err, MS_EINPUT, "%s: [%s] region: not a region name", s.config_path,
                              s.config_section);
            goto out;
        }
        snprintf(out, size, "%s", value);
    }
out:
    aws_value_free(value);
    shared_files_free(&s);
    return rc;
}

/* ---- XML ---- */

int aws_xml_next(const char *xml, size_t len, size_t *pos, const char *name, size_t *start,
                 size_t *end)
{
    size_t n = strlen(name);
    for (size_t i = *pos; i + n + 2 <= len; i++) {
        const char *lt = memchr(xml + i, '<', len - i);
        if (!lt)
            return 0;
        i = (size_t)(lt - xml);
        if (i + n + 2 > len || memcmp(xml + i + 1, name, n) != 0)
            continue;
        char c = xml[i + 1 + n];
        if (c == '/' && i + n + 3 <= len && xml[i + n + 2] == '>') {
            *start = *end = i + n + 3;
            *pos = i + n + 3;
            return 1;
        }
        if (c != '>' && c != ' ')
            continue;
        const char *gt = memchr(xml + i + 1 + n, '>', len - (i + 1 + n));
        if (!gt)
            return 0;
        size_t body = (size_t)(gt - xml) + 1;
        if (gt[-1] == '/') { /* <name attr="..."/> */
            *start = *end = *pos = body;
            return 1;
        }
        /* the closing tag */
        for (size_t j = body; j + n + 3 <= len; j++) {
            const char *c2 = memchr(xml + j, '<', len - j);
            if (!c2)
                return 0;
            j = (size_t)(c2 - xml);
            if (j + n + 3 <= len && xml[j + 1] == '/' && memcmp(xml + j + 2, name, n) == 0 &&
                xml[j + 2 + n] == '>') {
                *start = body;
                *end = j;
                *pos = j + n + 3;
                return 1;
            }
        }
        return 0;
    }
    return 0;
}

static int utf8_put(ms_buf *out, unsigned long cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    return msx_buf_append(out, b, n);
}

int aws_xml_text(const char *text, size_t len, size_t max, ms_buf *out, ms_error *err)
{
    static const struct {
        const char *name;
        char c;
    } ent[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    msx_buf_reset(out);
    for (size_t i = 0; i < len;) {
        if (out->len > max)
            return ms_error_set(err, MS_EINPUT, "an XML value longer than %zu bytes", max);
        char c = text[i];
        if (c == '<')
            return ms_error_set(err, MS_EINPUT, "markup inside an XML value");
        if (c != '&') {
            size_t run = i;
            while (run < len && text[run] != '&' && text[run] != '<')
                run++;
            if (msx_buf_append(out, text + i, run - i))
                return ms_error_nomem(err);
            i = run;
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof ent / sizeof ent[0]; k++) {
            size_t n = strlen(ent[k].name);
            if (len - i - 1 >= n && memcmp(text + i + 1, ent[k].name, n) == 0) {
                if (msx_buf_append(out, &ent[k].c, 1))
                    return ms_error_nomem(err);
                i += 1 + n;
                break;
            }
        }
        if (k < sizeof ent / sizeof ent[0])
            continue;
        if (i + 2 < len && text[i + 1] == '#') {
            int hex = text[i + 2] == 'x';
            size_t j = i + 2 + (size_t)hex;
            unsigned long cp = 0;
            size_t digits = 0;
            for (; j < len && digits < 8; j++, digits++) {
                char d = text[j];
                int v = d >= '0' && d <= '9'          ? d - '0'
                        : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                        : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
                                                      : -1;
                if (v < 0)
                    break;
                cp = cp * (hex ? 16 : 10) + (unsigned long)v;
            }
            if (digits > 0 && j < len && text[j] == ';' && cp > 0 && cp <= 0x10FFFF &&
                !(cp >= 0xD800 && cp <= 0xDFFF)) {
                if (utf8_put(out, cp))
                    return ms_error_nomem(err);
                i = j + 1;
                continue;
            }
        }
        return ms_error_set(err, MS_EINPUT, "a malformed character reference in an XML value");
    }
    if (out->len > max)
        return ms_error_set(err, MS_EINPUT, "an XML value longer than %zu bytes", max);
    if (msx_buf_reserve(out, 1))
        return ms_error_nomem(err);
    out->data[out->len] = '\0';
    return 0;
}

/* ---- web identity (STS AssumeRoleWithWebIdentity) ---- */

static int sts_value(const ms_buf *answer, const char *name, char **value, ms_error *err)
{
    size_t pos = 0, a, b;
    ms_buf text = MS_BUF_INIT;
    int rc = 0;
    *value = NULL;
    if (!aws_xml_next((const char *)answer->data, answer->len, &pos, name, &a, &b))
        return ms_error_set(err, MS_EENV, "STS: the answer has no %s", name);
    if ((rc = aws_xml_text((const char *)answer->data + a, b - a, AWS_MAX_VALUE, &text, err)) ==
        0) {
        if (text.len == 0)
            rc = ms_error_set(err, MS_EENV, "STS: the answer's %s is empty", name);
        else if (!(*value = secret_dup((const char *)text.data, text.len)))
            rc = ms_error_nomem(err);
    } else {
        ms_error cause = *err; /* not formatted into itself */
        ms_error_set(err, MS_EENV, "STS: the answer's %s: %s", name, cause.message);
    }
    if (text.data)
        sodium_memzero(text.data, text.cap);
    msx_buf_free(&text);
    return rc;
}

static int web_identity(const aws_load_options *o, const char *token_file, const char *role_arn,
                        const char *session_name, const char *origin, aws_credentials *c,
                        ms_error *err)
{
    ms_buf token = MS_BUF_INIT, url = MS_BUF_INIT, answer = MS_BUF_INIT;
    char region[64] = "", *id = NULL, *secret = NULL, *session = NULL;
    int rc;
    if ((rc = msx_file_read(token_file, 64 << 10, &token, err)) != 0)
        goto out;
    while (token.len && isspace(token.data[token.len - 1]))
        token.len--;
    if (token.len == 0 || msx_buf_append(&token, "", 1)) {
        rc = token.len == 0
                 ? ms_error_set(err, MS_EINPUT, "%s: empty web identity token", token_file)
                 : ms_error_nomem(err);
        goto out;
    }
    const char *endpoint = getenv("AWS_ENDPOINT_URL_STS");
    if (!endpoint || !endpoint[0]) {
        if (o && o->region)
            snprintf(region, sizeof region, "%s", o->region);
        else if ((rc = aws_region_resolve(o ? o->profile : NULL, region, sizeof region, err)) != 0)
            goto out;
    }
    if (endpoint && endpoint[0])
        rc = msx_buf_printf(&url, "%s", endpoint);
    else if (region[0])
        rc = msx_buf_printf(&url, "https://sts.%s.amazonaws.com/", region);
    else
        rc = msx_buf_printf(&url, "https://sts.amazonaws.com/");
    if (rc != 0)
        goto nomem;
    if (url.len && url.data[url.len - 1] != '/' && !memchr(url.data, '?', url.len) &&
        msx_buf_append(&url, "/", 1))
        goto nomem;
    if (msx_buf_printf(&url, "?Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=") ||
        http_append_escaped(&url, role_arn) || msx_buf_printf(&url, "&RoleSessionName=") ||
        http_append_escaped(&url, session_name) || msx_buf_printf(&url, "&WebIdentityToken=") ||
        http_append_escaped(&url, (const char *)token.data) || msx_buf_append(&url, "", 1))
        goto nomem;
    ms_http_request req = {
        .service = "STS", .url = (const char *)url.data, .secret = (const char *)token.data};
    if ((rc = http_perform(o ? o->http : NULL, &req, &answer, err)) != 0)
        goto out;
    if ((rc = sts_value(&answer, "AccessKeyId", &id, err)) != 0 ||
        (rc = sts_value(&answer, "SecretAccessKey", &secret, err)) != 0 ||
        (rc = sts_value(&answer, "SessionToken", &session, err)) != 0)
        goto out;
    char source[160];
    snprintf(source, sizeof source, "web identity (%s)", origin);
    rc = aws_credentials_set(c, id, secret, session, source, err);
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    if (token.data)
        sodium_memzero(token.data, token.cap);
    if (url.data)
        sodium_memzero(url.data, url.cap);
    if (answer.data)
        sodium_memzero(answer.data, answer.cap);
    msx_buf_free(&token);
    msx_buf_free(&url);
    msx_buf_free(&answer);
    secret_free(id);
    secret_free(secret);
    secret_free(session);
    return rc;
}

/* ---- the chain ---- */

static int from_profile_text(const char *text, size_t len, const char *path, const char *section,
                             const char *what, aws_credentials *c, ms_error *err)
{
    char *id = NULL, *secret = NULL, *token = NULL;
    int rc;
    if ((rc = aws_ini_get(text, len, path, section, "aws_access_key_id", &id, err)) < 0 ||
        (rc = aws_ini_get(text, len, path, section, "aws_secret_access_key", &secret, err)) < 0 ||
        (rc = aws_ini_get(text, len, path, section, "aws_session_token", &token, err)) < 0)
        goto out;
    rc = 0;
    if (id && secret && id[0] && secret[0]) {
        char source[160];
        snprintf(source, sizeof source, "%s %.60s (%.60s)", what, section, path);
        if ((rc = aws_credentials_set(c, id, secret, token, source, err)) == 0)
            rc = 1;
    } else if ((id && id[0]) != (secret && secret[0])) {
        rc = ms_error_set(err, MS_EINPUT, "%s: [%s] has %s without %s", path, section,
                          id && id[0] ? "aws_access_key_id" : "aws_secret_access_key",
                          id && id[0] ? "aws_secret_access_key" : "aws_access_key_id");
    }
out:
    aws_value_free(id);
    aws_value_free(secret);
    aws_value_free(token);
    return rc;
}

int aws_credentials_load(const aws_load_options *o, aws_credentials *c, ms_error *err)
{
    shared_files s;
    char *token_file = NULL, *role = NULL, *session_name = NULL;
    int rc = 0;
    aws_credentials_clear(c);
    memset(&s, 0, sizeof s);

    const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (id && id[0] && secret && secret[0])
        return aws_credentials_set(c, id, secret, getenv("AWS_SESSION_TOKEN"), "environment", err);
    if ((id && id[0]) || (secret && secret[0]))
        return ms_error_set(err, MS_EENV, "%s is set without %s",
                            id && id[0] ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            id && id[0] ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");

    const char *wif = getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), *arn = getenv("AWS_ROLE_ARN");
    if (wif && wif[0] && arn && arn[0]) {
        const char *sn = getenv("AWS_ROLE_SESSION_NAME");
        return web_identity(o, wif, arn, sn && sn[0] ? sn : "modelseal",
                            "AWS_WEB_IDENTITY_TOKEN_FILE", c, err);
    }

    if ((rc = shared_files_open(o ? o->profile : NULL, 1, &s, err)) != 0)
        goto out;
    /* The profile's web identity, in the config file. */
    if (s.config) {
        if ((rc = aws_ini_get(s.config, s.config_len, s.config_path, s.config_section,
                              "web_identity_token_file", &token_file, err)) < 0 ||
            (rc = aws_ini_get(s.config, s.config_len, s.config_path, s.config_section, "role_arn",
                              &role, err)) < 0 ||
            (rc = aws_ini_get(s.config, s.config_len, s.config_path, s.config_section,
                              "role_session_name", &session_name, err)) < 0)
            goto out;
        if (token_file && role && token_file[0] && role[0]) {
            char origin[300];
            snprintf(origin, sizeof origin, "profile %.100s of %.150s", s.profile, s.config_path);
            rc = web_identity(o, token_file, role,
                              session_name && session_name[0] ? session_name : "modelseal", origin,
                              c, err);
            goto out;
        }
    }
    if (s.cred && (rc = from_profile_text(s.cred, s.cred_len, s.cred_path, s.profile, "profile", c,
                                          err)) != 0)
        goto out;
    if (s.config && (rc = from_profile_text(s.config, s.config_len, s.config_path, s.config_section,
                                            "config", c, err)) != 0)
        goto out;
    rc = ms_error_set(err, MS_EENV,
                      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                      "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or profile '%s' in %s or %s",
                      s.profile, s.cred_path ? s.cred_path : "~/.aws/credentials",
                      s.config_path ? s.config_path : "~/.aws/config");
out:
    if (rc > 0)
        rc = 0;
    if (rc != 0)
        aws_credentials_clear(c);
    aws_value_free(token_file);
    aws_value_free(role);
    aws_value_free(session_name);
    shared_files_free(&s);
    return rc;
}

/* ---- Signature Version 4 ---- */

/* OpenSSL's SHA-256 directly: net/ is a peer of hash/ (ms_sha256), not above it. */
static int sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -1;
    msx_hex_encode(md, n, out);
    return 0;
}

static int hmac(const uint8_t *key, size_t klen, const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    return HMAC(EVP_sha256(), key, (int)klen, data, len, out, &n) && n == 32 ? 0 : -1;
}

int aws_uri_encode(ms_buf *out, const char *s, size_t len, int keep_slash)
{
    static const char HEX[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
            rc = msx_buf_append(out, s + i, 1);
        } else {
            char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
            rc = msx_buf_append(out, e, 3);
        }
        if (rc != 0)
            return MS_ENOMEM;
    }
    return 0;
}

int aws_uri_decode(ms_buf *out, const char *s, size_t len, int strict)
{
    msx_buf_reset(out);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < len ? msx_hex_digit((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < len ? msx_hex_digit((unsigned char)s[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi * 16 + lo);
                i += 2;
            } else if (strict) {
                return MS_EINPUT;
            }
        }
        if (msx_buf_append(out, &c, 1))
            return MS_ENOMEM;
    }
    return 0;
}

typedef struct qparam {
    char *name, *value; /* encoded canonically */
} qparam;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* The canonical query string of `query` (without '?'). */
static int canonical_query(const char *query, ms_buf *out)
{
    qparam *p = NULL;
    size_t n = 0, cap = 0;
    ms_buf tmp = MS_BUF_INIT, enc = MS_BUF_INIT;
    int rc = 0;
    for (const char *q = query; q && *q;) {
        size_t len = strcspn(q, "&");
        if (len > 0) {
            const char *eq = memchr(q, '=', len);
            size_t nlen = eq ? (size_t)(eq - q) : len;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                qparam *g = realloc(p, nc * sizeof *g);
                if (!g)
                    goto nomem;
                p = g;
                cap = nc;
            }
            p[n].name = p[n].value = NULL;
            n++;
            for (int part = 0; part < 2; part++) {
                const char *s = part ? (eq ? eq + 1 : "") : q;
                size_t sl = part ? (eq ? len - nlen - 1 : 0) : nlen;
                msx_buf_reset(&enc);
                if (aws_uri_decode(&tmp, s, sl, 0) ||
                    aws_uri_encode(&enc, (const char *)tmp.data ? (const char *)tmp.data : "",
                                   tmp.len, 0) ||
                    msx_buf_append(&enc, "", 1))
                    goto nomem;
                char *copy = strdup((const char *)enc.data);
                if (!copy)
                    goto nomem;
                if (part)
                    p[n - 1].value = copy;
                else
                    p[n - 1].name = copy;
            }
        }
        q += len;
        if (*q == '&')
            q++;
    }
    if (n)
        qsort(p, n, sizeof *p, qparam_cmp);
    for (size_t i = 0; i < n; i++) {
        if (msx_buf_printf(out, "%s%s=%s", i ? "&" : "", p[i].name, p[i].value))
            goto nomem;
    }
    goto out;
nomem:
    rc = MS_ENOMEM;
out:
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        if (p[i].value) {
            sodium_memzero(p[i].value, strlen(p[i].value));
            free(p[i].value);
        }
    }
    free(p);
    if (tmp.data)
        sodium_memzero(tmp.data, tmp.cap);
    if (enc.data)
        sodium_memzero(enc.data, enc.cap);
    msx_buf_free(&tmp);
    msx_buf_free(&enc);
    return rc;
}

typedef struct hdr {
    char *name;  /* lower case */
    char *value; /* trimmed, inner runs of spaces collapsed */
} hdr;

static int hdr_cmp(const void *a, const void *b)
{
    return strcmp(((const hdr *)a)->name, ((const hdr *)b)->name);
}

static int hdr_add(hdr *h, size_t *n, const char *name, size_t nlen, const char *value, size_t vlen)
{
    hdr *e = &h[*n];
    e->name = malloc(nlen + 1);
    e->value = malloc(vlen + 1);
    if (!e->name || !e->value) {
        free(e->name);
        free(e->value);
        return MS_ENOMEM;
    }
    for (size_t i = 0; i < nlen; i++)
        e->name[i] = (char)tolower((unsigned char)name[i]);
    e->name[nlen] = '\0';
    while (vlen && blank(*value))
        value++, vlen--;
    while (vlen && blank(value[vlen - 1]))
        vlen--;
    size_t o = 0;
    for (size_t i = 0; i < vlen; i++) {
        if (value[i] == ' ' && o && e->value[o - 1] == ' ')
            continue;
        e->value[o++] = value[i];
    }
    e->value[o] = '\0';
    (*n)++;
    return 0;
}

/* The parts of a request that go into the signature. */
typedef struct sig_parts {
    char amz_date[17]; /* 20130524T000000Z */
    char date[9];      /* 20130524 */
    char payload[65 + 20];
    char scope[200];
    hdr headers[32];
    size_t n_headers;
    ms_buf signed_names;
} sig_parts;

static void sig_parts_free(sig_parts *p)
{
    for (size_t i = 0; i < p->n_headers; i++) {
        free(p->headers[i].name);
        wiped_free(p->headers[i].value);
    }
    msx_buf_free(&p->signed_names);
}

static int build_canonical(const aws_sigv4_request *r, const aws_credentials *c, sig_parts *p,
                           ms_buf *canonical, ms_buf *to_sign, ms_error *err)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *path = NULL, *query = NULL, *scheme = NULL;
    ms_buf tmp = MS_BUF_INIT;
    int rc = 0;
    time_t when = r->when ? r->when : time(NULL);
    struct tm tm;

    memset(p, 0, sizeof *p);
    if (!u)
        return ms_error_nomem(err);
    if (!gmtime_r(&when, &tm)) {
        rc = ms_error_set(err, MS_EINPUT, "SigV4: bad time");
        goto out;
    }
    strftime(p->amz_date, sizeof p->amz_date, "%Y%m%dT%H%M%SZ", &tm);
    memcpy(p->date, p->amz_date, 8);
    p->date[8] = '\0';
    if (curl_url_set(u, CURLUPART_URL, r->url, CURLU_PATH_AS_IS) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        rc = ms_error_set(err, MS_EINPUT, "SigV4: a URL that does not parse");
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);   /* only when given */
    curl_url_get(u, CURLUPART_QUERY, &query, 0); /* NULL when none */
    if (r->payload_hash)
        snprintf(p->payload, sizeof p->payload, "%s", r->payload_hash);
    else if (sha256_hex(r->body, r->body_len, p->payload) != 0) {
        rc = ms_error_set(err, MS_EENV, "SigV4: SHA-256 failed");
        goto out;
    }
    if (snprintf(p->scope, sizeof p->scope, "%s/%s/%s/aws4_request", p->date, r->region,
                 r->service) >= (int)sizeof p->scope) {
        rc = ms_error_set(err, MS_EINPUT, "SigV4: region or service name too long");
        goto out;
    }
    if (r->n_headers > 24) {
        rc = ms_error_set(err, MS_EINPUT, "SigV4: too many headers");
        goto out;
    }
    /* host[:port] as libcurl sends it: the port only when it is not the scheme's default */
    if (port && !((strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0) ||
                  (strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0))) {
        if (msx_buf_printf(&tmp, "%s:%s", host, port))
            goto nomem;
    } else if (msx_buf_printf(&tmp, "%s", host)) {
        goto nomem;
    }
    if (hdr_add(p->headers, &p->n_headers, "host", 4, (const char *)tmp.data, tmp.len) ||
        hdr_add(p->headers, &p->n_headers, "x-amz-date", 10, p->amz_date, 16) ||
        (r->content_sha256_header && hdr_add(p->headers, &p->n_headers, "x-amz-content-sha256", 20,
                                             p->payload, strlen(p->payload))) ||
        (c->session_token && hdr_add(p->headers, &p->n_headers, "x-amz-security-token", 20,
                                     c->session_token, strlen(c->session_token))))
        goto nomem;
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *h = r->headers[i], *colon = strchr(h, ':');
        if (!colon || colon == h) {
            rc = ms_error_set(err, MS_EINPUT, "SigV4: a header without a name");
            goto out;
        }
        if (hdr_add(p->headers, &p->n_headers, h, (size_t)(colon - h), colon + 1,
                    strlen(colon + 1)))
            goto nomem;
    }
    qsort(p->headers, p->n_headers, sizeof p->headers[0], hdr_cmp);
    for (size_t i = 0; i < p->n_headers; i++) {
        if (i && strcmp(p->headers[i - 1].name, p->headers[i].name) == 0) {
            rc = ms_error_set(err, MS_EINPUT, "SigV4: header %s given twice", p->headers[i].name);
            goto out;
        }
        if (msx_buf_printf(&p->signed_names, "%s%s", i ? ";" : "", p->headers[i].name))
            goto nomem;
    }
    if (msx_buf_append(&p->signed_names, "", 1))
        goto nomem;
    p->signed_names.len--;

    /* CanonicalRequest */
    if (msx_buf_printf(canonical, "%s\n", r->method))
        goto nomem;
    if (strcmp(r->service, "s3") == 0) {
        if (msx_buf_printf(canonical, "%s", path[0] ? path : "/"))
            goto nomem;
    } else if (aws_uri_encode(canonical, path[0] ? path : "/", path[0] ? strlen(path) : 1, 1)) {
        goto nomem;
    }
    if (msx_buf_append(canonical, "\n", 1) || canonical_query(query, canonical) ||
        msx_buf_append(canonical, "\n", 1))
        goto nomem;
    for (size_t i = 0; i < p->n_headers; i++) {
        if (msx_buf_printf(canonical, "%s:%s\n", p->headers[i].name, p->headers[i].value))
            goto nomem;
    }
    if (msx_buf_printf(canonical, "\n%s\n%s", (const char *)p->signed_names.data, p->payload))
        goto nomem;

    char creq_hash[65];
    if (sha256_hex(canonical->data, canonical->len, creq_hash) != 0) {
        rc = ms_error_set(err, MS_EENV, "SigV4: SHA-256 failed");
        goto out;
    }
    if (msx_buf_printf(to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", p->amz_date, p->scope, creq_hash))
        goto nomem;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    if (tmp.data)
        sodium_memzero(tmp.data, tmp.cap);
    msx_buf_free(&tmp);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    if (query)
        sodium_memzero(query, strlen(query));
    curl_free(query);
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

int aws_sigv4_canonical(const aws_sigv4_request *r, const aws_credentials *c, ms_buf *canonical,
                        ms_buf *to_sign, ms_error *err)
{
    sig_parts p;
    int rc = build_canonical(r, c, &p, canonical, to_sign, err);
    sig_parts_free(&p);
    return rc;
}

void aws_signed_clear(aws_signed *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        wiped_free(s->headers[i]);
    memset(s, 0, sizeof *s);
}

static int signed_add(aws_signed *s, const ms_buf *line)
{
    char *copy = wiped_dup((const char *)line->data, line->len);
    if (!copy)
        return MS_ENOMEM;
    s->headers[s->n++] = copy;
    return 0;
}

int aws_sigv4_sign(const aws_sigv4_request *r, const aws_credentials *c, aws_signed *out,
                   ms_error *err)
{
    sig_parts p;
    ms_buf canonical = MS_BUF_INIT, to_sign = MS_BUF_INIT, line = MS_BUF_INIT, key = MS_BUF_INIT;
    uint8_t k[32], sig[32];
    char sig_hex[65];
    int rc;

    memset(out, 0, sizeof *out);
    if (!c->access_key_id || !c->secret_access_key)
        return ms_error_set(err, MS_EINPUT, "SigV4: no credentials");
    if ((rc = build_canonical(r, c, &p, &canonical, &to_sign, err)) != 0)
        goto out;
    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
    if (msx_buf_printf(&key, "AWS4%s", c->secret_access_key))
        goto nomem;
    if (hmac(key.data, key.len, p.date, strlen(p.date), k) ||
        hmac(k, 32, r->region, strlen(r->region), k) ||
        hmac(k, 32, r->service, strlen(r->service), k) || hmac(k, 32, "aws4_request", 12, k) ||
        hmac(k, 32, to_sign.data, to_sign.len, sig)) {
        rc = ms_error_set(err, MS_EENV, "SigV4: HMAC-SHA256 failed");
        goto out;
    }
    msx_hex_encode(sig, 32, sig_hex);
    if (msx_buf_printf(&line,
                       "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                       "Signature=%s",
                       c->access_key_id, p.scope, (const char *)p.signed_names.data, sig_hex) ||
        signed_add(out, &line))
        goto nomem;
    msx_buf_reset(&line);
    if (msx_buf_printf(&line, "X-Amz-Date: %s", p.amz_date) || signed_add(out, &line))
        goto nomem;
    if (r->content_sha256_header) {
        msx_buf_reset(&line);
        if (msx_buf_printf(&line, "X-Amz-Content-Sha256: %s", p.payload) || signed_add(out, &line))
            goto nomem;
    }
    if (c->session_token) {
        msx_buf_reset(&line);
        if (msx_buf_printf(&line, "X-Amz-Security-Token: %s", c->session_token) ||
            signed_add(out, &line))
            goto nomem;
    }
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    if (rc != 0)
        aws_signed_clear(out);
    sodium_memzero(k, sizeof k);
    sodium_memzero(sig, sizeof sig);
    if (key.data)
        sodium_memzero(key.data, key.cap);
    if (line.data)
        sodium_memzero(line.data, line.cap);
    if (canonical.data)
        sodium_memzero(canonical.data, canonical.cap);
    msx_buf_free(&canonical);
    msx_buf_free(&to_sign);
    msx_buf_free(&line);
    msx_buf_free(&key);
    sig_parts_free(&p);
    return rc;
}
