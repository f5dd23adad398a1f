/* OpenID Connect identity tokens for keyless signing: from the caller, SIGSTORE_ID_TOKEN,
 * GitHub Actions' ambient credentials, or the interactive OAuth 2.0 authorization-code flow
 * with PKCE (RFC 7636) and a redirect to a listener on 127.0.0.1 (RFC 8252). Also reads the
 * claims Fulcio's proof of possession needs; the token itself is verified by Fulcio, not here.
 * Tokens never appear in messages and are wiped when released. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "sigstore_sign_internal.h"
#include "util/encoding.h"
#include "util/json.h"

#define CALLBACK_PATH "/auth/callback"
#define REQUEST_MAX 8192
#define DISCOVERY_MAX ((size_t)256 << 10)
#define INTERACTIVE_TIMEOUT_MS (300L * 1000)

void oidc_token_free(char *token)
{
    if (!token)
        return;
    OPENSSL_cleanse(token, strlen(token));
    free(token);
}

void base64url_encode(const uint8_t *data, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)data[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
}

int pkce_verifier(char out[44])
{
    uint8_t r[32];
    if (RAND_bytes(r, sizeof r) != 1)
        return MS_EENV;
    base64url_encode(r, sizeof r, out);
    OPENSSL_cleanse(r, sizeof r);
    return 0;
}

void pkce_challenge(const char *verifier, char out[44])
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)verifier, strlen(verifier), d);
    base64url_encode(d, sizeof d, out);
}

/* ---- token shape and claims ---- */

/* 0 when `t` looks like a compact JWS: three non-empty base64url parts. */
static int check_shape(const char *t, ms_error *err)
{
    size_t len = strlen(t), dots = 0, part = 0;
    if (len == 0 || len > MS_OIDC_TOKEN_MAX)
        return ms_error_set(err, MS_EINPUT, "identity token: %s", len ? "too long" : "empty");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '.') {
            if (part == 0)
                return ms_error_set(err, MS_EINPUT, "identity token: an empty part");
            dots++;
            part = 0;
        } else if (isalnum(c) || c == '-' || c == '_') {
            part++;
        } else {
            return ms_error_set(err, MS_EINPUT,
                                "identity token: not a JWT (a character outside base64url)");
        }
    }
    if (dots != 2 || part == 0)
        return ms_error_set(err, MS_EINPUT, "identity token: not a JWT (expected 3 parts)");
    return 0;
}

/* The decoded JSON payload of a token (cJSON_Delete it). */
static int payload_json(const char *token, cJSON **out, ms_error *err)
{
    ms_buf b64 = MS_BUF_INIT;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = check_shape(token, err);
    if (rc != 0)
        return rc;
    const char *p = strchr(token, '.') + 1;
    size_t n = (size_t)(strchr(p, '.') - p);
    if (n % 4 == 1) {
        rc = ms_error_set(err, MS_EINPUT, "identity token: the payload is not base64url");
        goto out;
    }
    if (msx_buf_append(&b64, p, n) != 0 || msx_buf_append(&b64, "==", (4 - n % 4) % 4) != 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < b64.len; i++) {
        if (b64.data[i] == '-')
            b64.data[i] = '+';
        else if (b64.data[i] == '_')
            b64.data[i] = '/';
    }
    if (msx_base64_decode((const char *)b64.data, b64.len, &raw, &raw_len) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "identity token: the payload is not base64url");
        goto out;
    }
    rc = msx_json_parse(raw, raw_len, MS_OIDC_TOKEN_MAX, "identity token payload", out, err);
    if (rc == 0 && !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        rc = ms_error_set(err, MS_EINPUT, "identity token: the payload is not a JSON object");
    }
out:
    msx_buf_free(&b64);
    if (raw)
        OPENSSL_cleanse(raw, raw_len);
    free(raw);
    return rc;
}

char *jwt_claim(const char *token, const char *name)
{
    cJSON *claims = NULL;
    char *value = NULL;
    if (payload_json(token, &claims, NULL) != 0)
        return NULL;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);
    if (cJSON_IsString(c))
        value = strdup(c->valuestring);
    cJSON_Delete(claims);
    return value;
}

int jwt_claims(const char *token, char **subject, char **issuer, ms_error *err)
{
    cJSON *claims = NULL;
    *subject = *issuer = NULL;
    int rc = payload_json(token, &claims, err);
    if (rc != 0)
        return rc;
    const cJSON *email = cJSON_GetObjectItemCaseSensitive(claims, "email");
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(claims, "sub");
    const cJSON *iss = cJSON_GetObjectItemCaseSensitive(claims, "iss");
    const cJSON *who = email ? email : sub;
    if (!cJSON_IsString(who) || !who->valuestring[0]) {
        rc = ms_error_set(err, MS_EINPUT, "identity token: the %s claim is %s",
                          email ? "email" : "sub", who ? "not a non-empty string" : "missing");
        goto out;
    }
    if (!cJSON_IsString(iss) || !iss->valuestring[0]) {
        rc = ms_error_set(err, MS_EINPUT, "identity token: the iss claim is %s",
                          iss ? "not a non-empty string" : "missing");
        goto out;
    }
    *subject = strdup(who->valuestring);
    *issuer = strdup(iss->valuestring);
    if (!*subject || !*issuer) {
        free(*subject);
        free(*issuer);
        *subject = *issuer = NULL;
        rc = ms_error_nomem(err);
    }
out:
    cJSON_Delete(claims);
    return rc;
}

/* A copy of `t` without surrounding whitespace, checked to be a JWT. */
static int adopt(const char *t, const char *source, char **out, ms_error *err)
{
    while (isspace((unsigned char)*t))
        t++;
    size_t n = strlen(t);
    while (n > 0 && isspace((unsigned char)t[n - 1]))
        n--;
    char *copy = strndup(t, n);
    if (!copy)
        return ms_error_nomem(err);
    ms_error shape;
    int rc = check_shape(copy, &shape);
    if (rc != 0) {
        oidc_token_free(copy);
        return ms_error_set(err, rc, "identity token from %s: %s", source,
                            shape.message + strlen("identity token: "));
    }
    *out = copy;
    return 0;
}

/* ---- GitHub Actions ---- */

static int github_token(const char *url, const char *bearer, const ms_http_options *http,
                        char **out, ms_error *err)
{
    ms_buf full = MS_BUF_INIT, body = MS_BUF_INIT;
    cJSON *json = NULL;
    int rc;
    if (msx_buf_append_str(&full, url) != 0 ||
        msx_buf_append_str(&full, strchr(url, '?') ? "&audience=sigstore" : "?audience=sigstore")) {
        rc = ms_error_nomem(err);
        goto out;
    }
    ms_http_request req = {.service = "GitHub Actions OIDC",
                           .url = (const char *)full.data,
                           .accept = "application/json",
                           .bearer = bearer};
    if ((rc = http_perform(http, &req, &body, err)) != 0)
        goto out;
    if ((rc = msx_json_parse(body.data, body.len, MS_OIDC_TOKEN_MAX * 2,
                             "GitHub Actions OIDC answer", &json, err)) != 0)
        goto out;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, "value");
    if (!cJSON_IsString(v)) {
        rc = ms_error_set(err, MS_EINPUT, "GitHub Actions OIDC answer: no \"value\" string");
        goto out;
    }
    rc = adopt(v->valuestring, "GitHub Actions", out, err);
out:
    if (body.data)
        OPENSSL_cleanse(body.data, body.len);
    msx_buf_free(&body);
    msx_buf_free(&full);
    cJSON_Delete(json);
    return rc;
}

/* ---- interactive flow ---- */

/* The percent-decoded value of `name` in an x-www-form-urlencoded query, new; NULL when
 * absent (or malformed: *bad set). */
static char *query_value(const char *query, const char *name, int *bad)
{
    size_t nlen = strlen(name);
    const char *p = query;
    while (p && *p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            char *v = malloc(len - nlen);
            size_t o = 0;
            if (!v) {
                *bad = 1;
                return NULL;
            }
            for (size_t i = nlen + 1; i < len; i++) {
                if (p[i] == '%') {
                    int h = i + 2 < len ? msx_hex_digit((unsigned char)p[i + 1]) : -1;
                    int l = i + 2 < len ? msx_hex_digit((unsigned char)p[i + 2]) : -1;
                    if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                        free(v);
                        *bad = 1;
                        return NULL;
                    }
                    v[o++] = (char)(h << 4 | l);
                    i += 2;
                } else {
                    v[o++] = p[i] == '+' ? ' ' : p[i];
                }
            }
            v[o] = '\0';
            return v;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

int oidc_parse_redirect(const char *line, const char *path, char **code, char **state,
                        ms_error *err)
{
    int bad = 0, rc = -1;
    char *target = NULL, *error = NULL;
    *code = *state = NULL;
    if (strncmp(line, "GET ", 4) != 0) {
        ms_error_set(err, MS_EENV, "OIDC redirect: not a GET request");
        return -1;
    }
    const char *t = line + 4, *sp = strchr(t, ' ');
    if (!sp || strncmp(sp, " HTTP/1.", 8) != 0) {
        ms_error_set(err, MS_EENV, "OIDC redirect: malformed request line");
        return -1;
    }
    if (!(target = strndup(t, (size_t)(sp - t)))) {
        ms_error_nomem(err);
        return -1;
    }
    char *q = strchr(target, '?');
    if (q)
        *q++ = '\0';
    if (strcmp(target, path) != 0) {
        rc = 0;
        goto out;
    }
    if (!q) {
        ms_error_set(err, MS_EENV, "OIDC redirect: no query");
        goto out;
    }
    error = query_value(q, "error", &bad);
    if (error) {
        for (char *c = error; *c; c++) {
            if (!isprint((unsigned char)*c))
                *c = '?';
        }
        ms_error_set(err, MS_EENV, "OIDC: the authorization was refused: %.200s", error);
        goto out;
    }
    *code = query_value(q, "code", &bad);
    *state = query_value(q, "state", &bad);
    if (bad || !*code || !*state || !**code) {
        ms_error_set(err, MS_EENV, "OIDC redirect: %s",
                     bad ? "malformed query" : "the code or state is missing");
        goto out;
    }
    rc = 1;
out:
    if (rc != 1) {
        if (*code)
            OPENSSL_cleanse(*code, strlen(*code));
        free(*code);
        free(*state);
        *code = *state = NULL;
    }
    free(error);
    free(target);
    return rc;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reply(int fd, int ok)
{
    static const char good[] =
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n"
        "<!doctype html><title>modelseal</title><p>Authenticated. You may close this window "
        "and return to modelseal.</p>\n";
    static const char notfound[] =
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    const char *msg = ok ? good : notfound;
    size_t len = strlen(msg), off = 0;
    while (off < len) {
        ssize_t w = send(fd, msg + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

/* Wait for the browser's redirect to CALLBACK_PATH; *code and *state new. */
static int receive_redirect(int lfd, long timeout_ms, char **code, char **state, ms_error *err)
{
    long deadline = now_ms() + timeout_ms;
    char buf[REQUEST_MAX + 1];
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return ms_error_set(err, MS_EENV,
                                "OIDC: no redirect to 127.0.0.1 within %ld s (was the URL "
                                "opened?)",
                                timeout_ms / 1000);
        struct pollfd p = {lfd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
        if (r < 0 && errno != EINTR)
            return ms_error_set(err, MS_EENV, "OIDC: waiting for the redirect: %s",
                                strerror(errno));
        if (r <= 0)
            continue;
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        struct timeval tv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        size_t len = 0;
        char *eol = NULL;
        while (len < REQUEST_MAX && !eol) {
            ssize_t n = recv(fd, buf + len, REQUEST_MAX - len, 0);
            if (n <= 0)
                break;
            len += (size_t)n;
            buf[len] = '\0';
            eol = strstr(buf, "\r\n");
        }
        if (!eol) {
            close(fd);
            continue;
        }
        *eol = '\0';
        int got = oidc_parse_redirect(buf, CALLBACK_PATH, code, state, err);
        reply(fd, got == 1);
        OPENSSL_cleanse(buf, sizeof buf);
        close(fd);
        if (got < 0)
            return err ? err->code : MS_EENV;
        if (got == 1)
            return 0;
    }
}

/* authorization_endpoint and token_endpoint from the issuer's discovery document. */
static int discover(const char *issuer, const ms_http_options *http, char **auth_ep,
                    char **token_ep, ms_error *err)
{
    ms_buf url = MS_BUF_INIT, body = MS_BUF_INIT;
    cJSON *json = NULL;
    size_t n = strlen(issuer);
    int rc;
    while (n > 0 && issuer[n - 1] == '/')
        n--;
    if (msx_buf_append(&url, issuer, n) != 0 ||
        msx_buf_append_str(&url, "/.well-known/openid-configuration") != 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    ms_http_request req = {
        .service = "OIDC discovery", .url = (const char *)url.data, .accept = "application/json"};
    if ((rc = http_perform(http, &req, &body, err)) != 0 ||
        (rc = msx_json_parse(body.data, body.len, DISCOVERY_MAX, "OIDC discovery document", &json,
                             err)) != 0)
        goto out;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(json, "authorization_endpoint");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "token_endpoint");
    if (!cJSON_IsString(a) || !cJSON_IsString(t) || !http_url_allowed(a->valuestring) ||
        !http_url_allowed(t->valuestring)) {
        rc = ms_error_set(err, MS_EINPUT,
                          "OIDC discovery document (%s): authorization_endpoint or "
                          "token_endpoint missing or not an https:// URL",
                          (const char *)url.data);
        goto out;
    }
    *auth_ep = strdup(a->valuestring);
    *token_ep = strdup(t->valuestring);
    if (!*auth_ep || !*token_ep)
        rc = ms_error_nomem(err);
out:
    msx_buf_free(&url);
    msx_buf_free(&body);
    cJSON_Delete(json);
    return rc;
}

static int exchange_code(const char *token_ep, const char *client_id, const char *code,
                         const char *redirect_uri, const char *verifier,
                         const ms_http_options *http, char **out, ms_error *err)
{
    ms_buf form = MS_BUF_INIT, body = MS_BUF_INIT;
    cJSON *json = NULL;
    long status = 0;
    int rc;
    if (msx_buf_append_str(&form, "grant_type=authorization_code&code=") ||
        http_append_escaped(&form, code) || msx_buf_append_str(&form, "&redirect_uri=") ||
        http_append_escaped(&form, redirect_uri) || msx_buf_append_str(&form, "&client_id=") ||
        http_append_escaped(&form, client_id) || msx_buf_append_str(&form, "&code_verifier=") ||
        http_append_escaped(&form, verifier)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    ms_http_request req = {.service = "OIDC token endpoint",
                           .url = token_ep,
                           .body = form.data,
                           .body_len = form.len,
                           .content_type = "application/x-www-form-urlencoded",
                           .accept = "application/json",
                           .secret = code};
    if ((rc = http_perform_status(http, &req, &status, &body, err)) != 0)
        goto out;
    if ((rc = msx_json_parse(body.data, body.len, MS_OIDC_TOKEN_MAX * 4, "OIDC token answer", &json,
                             err)) != 0)
        goto out;
    if (status >= 400) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(json, "error");
        rc = ms_error_set(err, MS_EENV, "OIDC token endpoint: HTTP status %ld: %.100s", status,
                          cJSON_IsString(e) ? e->valuestring : "no error code");
        goto out;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id_token");
    if (!cJSON_IsString(id)) {
        rc = ms_error_set(err, MS_EINPUT, "OIDC token answer: no \"id_token\" string");
        goto out;
    }
    rc = adopt(id->valuestring, "the OIDC token endpoint", out, err);
out:
    if (form.data)
        OPENSSL_cleanse(form.data, form.len);
    if (body.data)
        OPENSSL_cleanse(body.data, body.len);
    msx_buf_free(&form);
    msx_buf_free(&body);
    cJSON_Delete(json);
    return rc;
}

static int interactive_token(const ms_sigstore_sign_options *opts, const char *issuer,
                             const ms_http_options *http, char **out, ms_error *err)
{
    const char *client_id = opts->oidc_client_id ? opts->oidc_client_id : "sigstore";
    char verifier[44], challenge[44], state[44], nonce[44], redirect[64];
    char *auth_ep = NULL, *token_ep = NULL, *code = NULL, *got_state = NULL, *tok_nonce = NULL;
    ms_buf url = MS_BUF_INIT;
    int lfd = -1, rc;
    uint8_t r[32];
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;

    if ((rc = discover(issuer, http, &auth_ep, &token_ep, err)) != 0)
        goto out;
    if (pkce_verifier(verifier) != 0 || RAND_bytes(r, sizeof r) != 1) {
        rc = ms_error_set(err, MS_EENV, "OIDC: no randomness for PKCE");
        goto out;
    }
    base64url_encode(r, 16, state);
    base64url_encode(r + 16, 16, nonce);
    pkce_challenge(verifier, challenge);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 8) != 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
        rc = ms_error_set(err, MS_EENV, "OIDC: cannot listen on 127.0.0.1: %s", strerror(errno));
        goto out;
    }
    snprintf(redirect, sizeof redirect, "http://127.0.0.1:%u" CALLBACK_PATH,
             (unsigned)ntohs(sa.sin_port));
    if (msx_buf_append_str(&url, auth_ep) ||
        msx_buf_append_str(&url, strchr(auth_ep, '?') ? "&" : "?") ||
        msx_buf_append_str(&url, "response_type=code&client_id=") ||
        http_append_escaped(&url, client_id) || msx_buf_append_str(&url, "&redirect_uri=") ||
        http_append_escaped(&url, redirect) ||
        msx_buf_append_str(&url, "&scope=openid%20email&state=") ||
        msx_buf_append_str(&url, state) || msx_buf_append_str(&url, "&nonce=") ||
        msx_buf_append_str(&url, nonce) || msx_buf_append_str(&url, "&code_challenge=") ||
        msx_buf_append_str(&url, challenge) ||
        msx_buf_append_str(&url, "&code_challenge_method=S256")) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (opts->show_url)
        opts->show_url((const char *)url.data, opts->show_url_ctx);
    if ((rc = receive_redirect(lfd,
                               opts->interactive_timeout_ms > 0 ? opts->interactive_timeout_ms
                                                                : INTERACTIVE_TIMEOUT_MS,
                               &code, &got_state, err)) != 0)
        goto out;
    close(lfd);
    lfd = -1;
    if (strlen(got_state) != strlen(state) || sodium_memcmp(got_state, state, strlen(state)) != 0) {
        rc = ms_error_set(err, MS_EENV,
                          "OIDC redirect: the state does not match the request (a forged "
                          "redirect?)");
        goto out;
    }
    if ((rc = exchange_code(token_ep, client_id, code, redirect, verifier, http, out, err)) != 0)
        goto out;
    tok_nonce = jwt_claim(*out, "nonce");
    if (tok_nonce && strcmp(tok_nonce, nonce) != 0) {
        oidc_token_free(*out);
        *out = NULL;
        rc = ms_error_set(err, MS_EENV, "OIDC: the identity token's nonce is not ours");
    }
out:
    if (lfd >= 0)
        close(lfd);
    OPENSSL_cleanse(verifier, sizeof verifier);
    OPENSSL_cleanse(r, sizeof r);
    if (code)
        OPENSSL_cleanse(code, strlen(code));
    free(code);
    free(got_state);
    free(tok_nonce);
    free(auth_ep);
    free(token_ep);
    msx_buf_free(&url);
    return rc;
}

int oidc_token_available(const ms_sigstore_sign_options *opts, const char *issuer, ms_error *err)
{
    const char *env = getenv("SIGSTORE_ID_TOKEN");
    const char *gh_url = getenv("ACTIONS_ID_TOKEN_REQUEST_URL");
    const char *gh_tok = getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    if (opts->identity_token || (env && *env) || (gh_url && *gh_url && gh_tok && *gh_tok))
        return 0;
    if (!opts->interactive)
        return ms_error_set(err, MS_EINPUT,
                            "no identity token: give --identity-token, set SIGSTORE_ID_TOKEN, "
                            "run in GitHub Actions with id-token: write, or sign interactively");
    if (!issuer)
        return ms_error_set(err, MS_EINPUT,
                            "no identity token, and the signing config names no OIDC issuer "
                            "valid now for the interactive flow");
    return 0;
}

int oidc_get_token(const ms_sigstore_sign_options *opts, const char *issuer,
                   const ms_http_options *http, char **token, ms_error *err)
{
    const char *env;
    *token = NULL;
    if (opts->identity_token)
        return adopt(opts->identity_token, "--identity-token", token, err);
    if ((env = getenv("SIGSTORE_ID_TOKEN")) && *env)
        return adopt(env, "SIGSTORE_ID_TOKEN", token, err);
    const char *gh_url = getenv("ACTIONS_ID_TOKEN_REQUEST_URL");
    const char *gh_tok = getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    if (gh_url && *gh_url && gh_tok && *gh_tok)
        return github_token(gh_url, gh_tok, http, token, err);
    int rc = oidc_token_available(opts, issuer, err);
    if (rc != 0)
        return rc;
    return interactive_token(opts, issuer, http, token, err);
}
