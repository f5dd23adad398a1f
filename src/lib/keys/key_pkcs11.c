/* Keys on PKCS#11 tokens (smart cards, HSMs, SoftHSM, the cloud HSMs' PKCS#11 modules), named
 * by RFC 7512 URIs (pkcs11_uri.c), reached through p11-kit: it loads the module the URI names
 * (module-path), the one MODELSEAL_PKCS11_MODULE names, or the modules p11-kit is configured
 * with, and shares an initialised module between users in one process.
 *
 * The private key never leaves the token: ECDSA signs the curve's hash of the message with
 * CKM_ECDSA (the raw r||s it returns is DER-encoded here), Ed25519 signs the message with
 * CKM_EDDSA. The public key comes from the token's public-key object, or its certificate, with
 * the same CKA_ID (else the same label); every signature is checked with it before it is
 * returned. The PIN is wiped as soon as C_Login has it, and never appears in a message. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include "key_internal.h"
#include "kms_internal.h"
#include "modelseal/key.h"
#include "modelseal/x509.h"
#include "pkcs11_internal.h"
#include "util/buf.h"
#include "util/fs.h"

/* Bounds on what a token may answer. */
#define MAX_SLOTS 1024
#define MAX_MECHANISMS 4096
#define MAX_ATTRIBUTE (64 * 1024)
#define PIN_FILE_MAX 4096

struct key_token {
    CK_FUNCTION_LIST *module;   /* the module the key is on */
    CK_FUNCTION_LIST **modules; /* p11-kit's configured modules (released together), or NULL */
    int own_module;             /* module loaded from a path: finalize and release it alone */
    CK_SESSION_HANDLE session;
    int has_session;
    CK_OBJECT_HANDLE key;
    ms_key_type type;
    char *display; /* the URI without its PIN */
};

/* DER of the curve OIDs as CKA_EC_PARAMS holds them, and Ed25519 in both forms tokens use. */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t name_ed25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                       'd',  's',  '2', '5', '5', '1', '9'};

/* SubjectPublicKeyInfo DER up to the public key bytes, per type. */
static const uint8_t spki_p256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                    0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
static const uint8_t spki_p384[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                    0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};
static const uint8_t spki_p521[] = {0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81,
                                    0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00};
static const uint8_t spki_ed25519[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

/* Bytes of the public key (uncompressed point, or the Ed25519 key) per type. */
static size_t point_len(ms_key_type type)
{
    switch (type) {
    case MS_KEY_ECDSA_P256:
        return 65;
    case MS_KEY_ECDSA_P384:
        return 97;
    case MS_KEY_ECDSA_P521:
        return 133;
    case MS_KEY_ED25519:
        return 32;
    }
    return 0;
}

static const char *rv_text(CK_RV rv)
{
    const char *s = p11_kit_strerror(rv);
    return s ? s : "unknown PKCS#11 error";
}

void key_token_free(key_token *t)
{
    if (!t)
        return;
    if (t->has_session)
        t->module->C_CloseSession(t->session);
    if (t->modules) {
        p11_kit_modules_finalize_and_release(t->modules);
    } else if (t->own_module) {
        p11_kit_module_finalize(t->module);
        p11_kit_module_release(t->module);
    }
    free(t->display);
    free(t);
}

/* ---- modules, tokens, PINs ---- */

static int load_modules(const p11_uri *u, key_token *t, ms_error *err)
{
    const char *path = u->module_path;
    if (!path && !u->module_name) {
        const char *env = getenv("MODELSEAL_PKCS11_MODULE");
        if (env && *env)
            path = env;
    }
    p11_kit_be_quiet(); /* the library never prints: p11-kit's messages go into ours */
    if (path) {
        CK_FUNCTION_LIST *m = p11_kit_module_load(path, 0);
        if (!m) {
            const char *why = p11_kit_message();
            return ms_error_set(err, MS_EENV, "%s: cannot load the PKCS#11 module%s%s", path,
                                why ? ": " : "", why ? why : "");
        }
        CK_RV rv = p11_kit_module_initialize(m);
        if (rv != CKR_OK) {
            p11_kit_module_release(m);
            return ms_error_set(err, MS_EENV, "%s: the PKCS#11 module does not initialise: %s",
                                path, rv_text(rv));
        }
        t->module = m;
        t->own_module = 1;
        return 0;
    }
    t->modules = p11_kit_modules_load_and_initialize(0);
    if (!t->modules || !t->modules[0])
        return ms_error_set(err, MS_EENV,
                            "%s: no PKCS#11 module: the URI names none (module-path=), "
                            "MODELSEAL_PKCS11_MODULE is not set and p11-kit has none configured",
                            u->display);
    if (u->module_name) {
        t->module = p11_kit_module_for_name(t->modules, u->module_name);
        if (!t->module)
            return ms_error_set(err, MS_EENV, "%s: no PKCS#11 module named %s is configured",
                                u->display, u->module_name);
    }
    return 0;
}

/* Does the space-padded token field equal `want` (NULL: anything)? */
static int field_matches(const char *want, const unsigned char *field, size_t size)
{
    if (!want)
        return 1;
    size_t n = p11_kit_space_strlen(field, size);
    return strlen(want) == n && memcmp(want, field, n) == 0;
}

static int slot_matches(CK_FUNCTION_LIST *m, CK_SLOT_ID slot, const p11_uri *u, const CK_INFO *lib)
{
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    if (u->has_slot_id && u->slot_id != slot)
        return 0;
    if (m->C_GetSlotInfo(slot, &si) != CKR_OK || m->C_GetTokenInfo(slot, &ti) != CKR_OK)
        return 0;
    if (!(ti.flags & CKF_TOKEN_INITIALIZED))
        return 0;
    return field_matches(u->slot_description, si.slotDescription, sizeof si.slotDescription) &&
           field_matches(u->slot_manufacturer, si.manufacturerID, sizeof si.manufacturerID) &&
           field_matches(u->token, ti.label, sizeof ti.label) &&
           field_matches(u->manufacturer, ti.manufacturerID, sizeof ti.manufacturerID) &&
           field_matches(u->serial, ti.serialNumber, sizeof ti.serialNumber) &&
           field_matches(u->model, ti.model, sizeof ti.model) &&
           field_matches(u->library_manufacturer, lib->manufacturerID,
                         sizeof lib->manufacturerID) &&
           field_matches(u->library_description, lib->libraryDescription,
                         sizeof lib->libraryDescription);
}

/* The one initialised token the URI names: t->module and *slot. */
static int find_token(const p11_uri *u, key_token *t, CK_SLOT_ID *slot, ms_error *err)
{
    CK_FUNCTION_LIST *single[2] = {t->module, NULL};
    CK_FUNCTION_LIST **list = t->module ? single : t->modules;
    CK_SLOT_ID *slots = NULL;
    size_t found = 0;
    int rc = 0;
    for (size_t i = 0; list[i]; i++) {
        CK_FUNCTION_LIST *m = list[i];
        CK_INFO lib;
        CK_ULONG n = 0;
        if (m->C_GetInfo(&lib) != CKR_OK || m->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK)
            continue;
        if (n > MAX_SLOTS)
            n = MAX_SLOTS;
        free(slots);
        if (!(slots = calloc(n ? n : 1, sizeof *slots))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if (m->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
            continue;
        for (CK_ULONG s = 0; s < n; s++) {
            if (slot_matches(m, slots[s], u, &lib)) {
                if (found++ == 0) {
                    t->module = m;
                    *slot = slots[s];
                }
            }
        }
    }
    if (found == 0)
        rc = ms_error_set(err, MS_EINPUT, "%s: no such token", u->display);
    else if (found > 1)
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: %zu tokens match; name one (token=, serial= or slot-id=)",
                          u->display, found);
out:
    free(slots);
    return rc;
}

/* The PIN from a pin-source ("file:PATH", "file:///PATH" or a plain path): its first line. */
static int pin_from_source(const p11_uri *u, char *pin, ms_error *err)
{
    const char *path = u->pin_source;
    ms_buf buf = MS_BUF_INIT;
    int rc;
    if (strncmp(path, "file://", 7) == 0)
        path += 7;
    else if (strncmp(path, "file:", 5) == 0)
        path += 5;
    if (!*path)
        return ms_error_set(err, MS_EINPUT, "%s: pin-source names no file", u->display);
    if ((rc = msx_file_read(path, PIN_FILE_MAX, &buf, err)) != 0)
        goto out;
    size_t n = 0;
    const char *text = buf.data ? (const char *)buf.data : "";
    while (n < buf.len && text[n] != '\n')
        n++;
    if (n > 0 && text[n - 1] == '\r')
        n--;
    if (n == 0)
        rc = ms_error_set(err, MS_EINPUT, "%s: the PIN file is empty", path);
    else if (memchr(text, '\0', n))
        rc = ms_error_set(err, MS_EINPUT, "%s: the PIN contains a NUL byte", path);
    else if (n > MS_KEY_PASSPHRASE_MAX)
        rc = ms_error_set(err, MS_EINPUT, "%s: PIN longer than %d bytes", path,
                          MS_KEY_PASSPHRASE_MAX);
    else {
        memcpy(pin, text, n);
        pin[n] = '\0';
    }
out:
    if (buf.data)
        sodium_memzero(buf.data, buf.cap);
    msx_buf_free(&buf);
    return rc;
}

/* The PIN, in this order: pin-source, pin-value, get_pin. *out is sodium_malloc'd
 * (MS_KEY_PASSPHRASE_MAX + 1 bytes; keyfile_free_passphrase releases it). */
static int obtain_pin(const p11_uri *u, ms_passphrase_fn fn, void *ctx, char **out, ms_error *err)
{
    if (!u->pin_source && !u->pin_value) {
        if (!fn)
            return ms_error_set(err, MS_EINPUT, "%s: the token needs a PIN and none was given",
                                u->display);
        return keyfile_ask_passphrase(fn, ctx, u->display, out, err);
    }
    char *pin = sodium_malloc(MS_KEY_PASSPHRASE_MAX + 1);
    int rc = 0;
    if (!pin)
        return ms_error_nomem(err);
    memset(pin, 0, MS_KEY_PASSPHRASE_MAX + 1);
    if (u->pin_source)
        rc = pin_from_source(u, pin, err);
    else if (strlen(u->pin_value) > MS_KEY_PASSPHRASE_MAX)
        rc = ms_error_set(err, MS_EINPUT, "%s: pin-value longer than %d bytes", u->display,
                          MS_KEY_PASSPHRASE_MAX);
    else
        memcpy(pin, u->pin_value, strlen(u->pin_value) + 1);
    if (rc != 0) {
        keyfile_free_passphrase(pin);
        return rc;
    }
    *out = pin;
    return 0;
}

/* Open a session on the URI's token, logged in when `login` and the token wants it. `rw` for
 * keygen. */
static int open_session(const p11_uri *u, int rw, int login, ms_passphrase_fn fn, void *ctx,
                        key_token *t, CK_SLOT_ID *slot_out, ms_error *err)
{
    CK_SLOT_ID slot = 0;
    CK_TOKEN_INFO ti;
    char *pin = NULL;
    int rc;
    if ((rc = load_modules(u, t, err)) != 0 || (rc = find_token(u, t, &slot, err)) != 0)
        return rc;
    CK_RV rv = t->module->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL,
                                        NULL, &t->session);
    if (rv != CKR_OK)
        return ms_error_set(err, MS_EENV, "%s: cannot open a session: %s", u->display, rv_text(rv));
    t->has_session = 1;
    if ((rv = t->module->C_GetTokenInfo(slot, &ti)) != CKR_OK)
        return ms_error_set(err, MS_EENV, "%s: cannot read the token: %s", u->display, rv_text(rv));
    *slot_out = slot;
    if (!login || !(ti.flags & CKF_LOGIN_REQUIRED))
        return 0;
    if (ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
        rv = t->module->C_Login(t->session, CKU_USER, NULL, 0);
    } else {
        if ((rc = obtain_pin(u, fn, ctx, &pin, err)) != 0)
            return rc;
        rv = t->module->C_Login(t->session, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
        keyfile_free_passphrase(pin);
    }
    /* One attempt only: the token's lockout counter is the token's business. */
    switch (rv) {
    case CKR_OK:
    case CKR_USER_ALREADY_LOGGED_IN:
        return 0;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
        return ms_error_set(err, MS_EINPUT, "%s: PIN rejected by the token", u->display);
    case CKR_PIN_LOCKED:
        return ms_error_set(err, MS_EINPUT, "%s: the token's PIN is locked", u->display);
    default:
        return ms_error_set(err, MS_EENV, "%s: cannot log in: %s", u->display, rv_text(rv));
    }
}

/* ---- objects ---- */

/* Up to two objects of `cls` with the given CKA_ID and/or CKA_LABEL; *n is how many (0-2). */
static int find_objects(key_token *t, CK_OBJECT_CLASS cls, const uint8_t *id, size_t id_len,
                        const char *label, CK_OBJECT_HANDLE found[2], CK_ULONG *n, const char *what,
                        ms_error *err)
{
    CK_ATTRIBUTE tmpl[3];
    CK_ULONG k = 0;
    tmpl[k++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
    if (id)
        tmpl[k++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
    if (label)
        tmpl[k++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
    CK_RV rv = t->module->C_FindObjectsInit(t->session, tmpl, k);
    if (rv == CKR_OK) {
        rv = t->module->C_FindObjects(t->session, found, 2, n);
        CK_RV fin = t->module->C_FindObjectsFinal(t->session);
        if (rv == CKR_OK)
            rv = fin;
    }
    if (rv != CKR_OK)
        return ms_error_set(err, MS_EENV, "%s: cannot search the token: %s", what, rv_text(rv));
    return 0;
}

/* An attribute's value, malloc'd (*len may be 0); MS_EINPUT when the object has none. */
static int get_attribute(key_token *t, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, uint8_t **val,
                         size_t *len, const char *what, ms_error *err)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK_RV rv = t->module->C_GetAttributeValue(t->session, obj, &a, 1);
    if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
        return ms_error_set(err, MS_EINPUT, "%s: the token does not give attribute 0x%lx%s%s", what,
                            (unsigned long)type, rv != CKR_OK ? ": " : "",
                            rv != CKR_OK ? rv_text(rv) : "");
    if (a.ulValueLen > MAX_ATTRIBUTE)
        return ms_error_set(err, MS_EINPUT, "%s: attribute 0x%lx is over %d bytes", what,
                            (unsigned long)type, MAX_ATTRIBUTE);
    uint8_t *v = malloc(a.ulValueLen ? a.ulValueLen : 1);
    if (!v)
        return ms_error_nomem(err);
    a.pValue = v;
    if ((rv = t->module->C_GetAttributeValue(t->session, obj, &a, 1)) != CKR_OK) {
        free(v);
        return ms_error_set(err, MS_EENV, "%s: cannot read attribute 0x%lx: %s", what,
                            (unsigned long)type, rv_text(rv));
    }
    *val = v;
    *len = a.ulValueLen;
    return 0;
}

static int get_ulong(key_token *t, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
    CK_ATTRIBUTE a = {type, out, sizeof *out};
    return t->module->C_GetAttributeValue(t->session, obj, &a, 1) == CKR_OK &&
                   a.ulValueLen == sizeof *out
               ? 0
               : -1;
}

/* The key type a CKA_KEY_TYPE and CKA_EC_PARAMS name. */
static int key_type_of(CK_ULONG key_type, const uint8_t *params, size_t len, ms_key_type *out,
                       const char *what, ms_error *err)
{
#define IS(oid) (len == sizeof(oid) && memcmp(params, oid, len) == 0)
    if (key_type == CKK_EC && IS(oid_p256))
        *out = MS_KEY_ECDSA_P256;
    else if (key_type == CKK_EC && IS(oid_p384))
        *out = MS_KEY_ECDSA_P384;
    else if (key_type == CKK_EC && IS(oid_p521))
        *out = MS_KEY_ECDSA_P521;
    else if (key_type == CKK_EC_EDWARDS && (IS(oid_ed25519) || IS(name_ed25519)))
        *out = MS_KEY_ED25519;
    else if (key_type == CKK_EC || key_type == CKK_EC_EDWARDS)
        return ms_error_set(err, MS_EINPUT,
                            "%s: the key's curve is not supported (ECDSA P-256, P-384, P-521 "
                            "and Ed25519 are)",
                            what);
    else
        return ms_error_set(err, MS_EINPUT,
                            "%s: key type 0x%lx is not supported (ECDSA P-256, P-384, P-521 and "
                            "Ed25519 are)",
                            what, (unsigned long)key_type);
#undef IS
    return 0;
}

/* A public ms_key from CKA_EC_POINT: the point or key, bare or as a DER OCTET STRING. */
static int key_from_point(ms_key_type type, const uint8_t *p, size_t len, ms_key **out,
                          const char *what, ms_error *err)
{
    size_t want = point_len(type);
    const uint8_t *prefix = type == MS_KEY_ECDSA_P256   ? spki_p256
                            : type == MS_KEY_ECDSA_P384 ? spki_p384
                            : type == MS_KEY_ECDSA_P521 ? spki_p521
                                                        : spki_ed25519;
    size_t prefix_len = type == MS_KEY_ECDSA_P256   ? sizeof spki_p256
                        : type == MS_KEY_ECDSA_P384 ? sizeof spki_p384
                        : type == MS_KEY_ECDSA_P521 ? sizeof spki_p521
                                                    : sizeof spki_ed25519;
    uint8_t spki[160];
    if (len != want) { /* a DER OCTET STRING around it: 04 len, or 04 81 len */
        size_t hdr = want < 128 ? 2 : 3;
        if (len != want + hdr || p[0] != 0x04 || (hdr == 2 && p[1] != want) ||
            (hdr == 3 && (p[1] != 0x81 || p[2] != want)))
            return ms_error_set(err, MS_EINPUT, "%s: malformed public key (CKA_EC_POINT)", what);
        p += hdr;
    }
    if (type != MS_KEY_ED25519 && p[0] != 0x04)
        return ms_error_set(err, MS_EINPUT, "%s: the public point is not uncompressed", what);
    memcpy(spki, prefix, prefix_len);
    memcpy(spki + prefix_len, p, want);
    return ms_key_parse_public(spki, prefix_len + want, out, err);
}

/* The public key of a key pair on the token: its public-key object, else its certificate,
 * found by the private key's CKA_ID (else its label). */
static int token_public_key(key_token *t, const uint8_t *id, size_t id_len, const char *label,
                            ms_key_type type, ms_key **out, const char *what, ms_error *err)
{
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    uint8_t *val = NULL;
    size_t len = 0;
    X509 *cert = NULL;
    int rc;
    if ((rc = find_objects(t, CKO_PUBLIC_KEY, id, id_len, id ? NULL : label, found, &n, what,
                           err)) != 0)
        return rc;
    if (n == 1) {
        if ((rc = get_attribute(t, found[0], CKA_EC_POINT, &val, &len, what, err)) == 0)
            rc = key_from_point(type, val, len, out, what, err);
        goto out;
    }
    if (n == 0 && (rc = find_objects(t, CKO_CERTIFICATE, id, id_len, id ? NULL : label, found, &n,
                                     what, err)) != 0)
        return rc;
    if (n == 1) {
        if ((rc = get_attribute(t, found[0], CKA_VALUE, &val, &len, what, err)) != 0)
            goto out;
        const unsigned char *p = val;
        if (!(cert = d2i_X509(NULL, &p, (long)len)) || p != val + len) {
            rc = ms_error_set(err, MS_EINPUT, "%s: the token's certificate is malformed", what);
            goto out;
        }
        rc = key_from_evp(X509_get0_pubkey(cert), out, err);
        goto out;
    }
    rc = ms_error_set(err, MS_EINPUT,
                      n == 0 ? "%s: no public key or certificate for the key on the token"
                             : "%s: more than one public key matches the key on the token",
                      what);
out:
    if (rc == 0 && ms_key_get_type(*out) != type) {
        ms_key_free(*out);
        *out = NULL;
        rc = ms_error_set(err, MS_EINPUT, "%s: the token's public key is not of the key's type",
                          what);
    }
    X509_free(cert);
    free(val);
    ERR_clear_error();
    return rc;
}

/* Can the slot do `mech`? */
static int has_mechanism(key_token *t, CK_SLOT_ID slot, CK_MECHANISM_TYPE mech)
{
    CK_ULONG n = 0;
    CK_MECHANISM_TYPE *list = NULL;
    int found = 0;
    if (t->module->C_GetMechanismList(slot, NULL, &n) != CKR_OK || n == 0 || n > MAX_MECHANISMS ||
        !(list = calloc(n, sizeof *list)))
        return 0;
    if (t->module->C_GetMechanismList(slot, list, &n) == CKR_OK)
        for (CK_ULONG i = 0; i < n && !found; i++)
            found = list[i] == mech;
    free(list);
    return found;
}

int key_token_open(const char *text, ms_passphrase_fn get_pin, void *ctx, ms_key **out,
                   ms_error *err)
{
    p11_uri *u = NULL;
    key_token *t = NULL;
    ms_key *key = NULL;
    uint8_t *params = NULL, *id = NULL, *label = NULL;
    size_t params_len = 0, id_len = 0, label_len = 0;
    CK_SLOT_ID slot = 0;
    int rc;
    if ((rc = p11_uri_parse(text, &u, err)) != 0)
        return rc;
    if (u->type != P11_TYPE_ANY && u->type != P11_TYPE_PRIVATE) {
        rc = ms_error_set(err, MS_EINPUT, "%s: a signing key is an object of type=private",
                          u->display);
        goto out;
    }
    if (!(t = calloc(1, sizeof *t)) || !(t->display = strdup(u->display))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = open_session(u, 0, 1, get_pin, ctx, t, &slot, err)) != 0)
        goto out;
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    if ((rc = find_objects(t, CKO_PRIVATE_KEY, u->has_id ? u->id : NULL, u->id_len, u->object,
                           found, &n, u->display, err)) != 0)
        goto out;
    if (n != 1) {
        rc = ms_error_set(err, MS_EINPUT,
                          n == 0 ? "%s: no such private key on the token"
                                 : "%s: more than one private key matches; name one (object=, "
                                   "id=)",
                          u->display);
        goto out;
    }
    t->key = found[0];
    CK_ULONG key_type = 0;
    if (get_ulong(t, t->key, CKA_KEY_TYPE, &key_type) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: the token does not say the key's type", u->display);
        goto out;
    }
    if ((key_type == CKK_EC || key_type == CKK_EC_EDWARDS) &&
        (rc = get_attribute(t, t->key, CKA_EC_PARAMS, &params, &params_len, u->display, err)) != 0)
        goto out;
    if ((rc = key_type_of(key_type, params, params_len, &t->type, u->display, err)) != 0)
        goto out;
    CK_MECHANISM_TYPE mech = t->type == MS_KEY_ED25519 ? CKM_EDDSA : CKM_ECDSA;
    if (!has_mechanism(t, slot, mech)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: the token cannot sign with %s keys (no %s)",
                          u->display, ms_key_type_name(t->type),
                          mech == CKM_EDDSA ? "CKM_EDDSA" : "CKM_ECDSA");
        goto out;
    }
    {
        CK_BBOOL can_sign = CK_FALSE, always = CK_FALSE;
        CK_ATTRIBUTE a[2] = {{CKA_SIGN, &can_sign, sizeof can_sign},
                             {CKA_ALWAYS_AUTHENTICATE, &always, sizeof always}};
        t->module->C_GetAttributeValue(t->session, t->key, a, 2);
        if (!can_sign) {
            rc = ms_error_set(err, MS_EINPUT, "%s: the key may not sign (CKA_SIGN is false)",
                              u->display);
            goto out;
        }
        if (always) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: the key wants the PIN again for every signature "
                              "(CKA_ALWAYS_AUTHENTICATE), which modelseal does not do",
                              u->display);
            goto out;
        }
    }
    /* Its public half, by the id (else the label) the private key carries. */
    if (get_attribute(t, t->key, CKA_ID, &id, &id_len, u->display, NULL) != 0 || id_len == 0) {
        free(id);
        id = NULL;
        id_len = 0;
    }
    if (!id && get_attribute(t, t->key, CKA_LABEL, &label, &label_len, u->display, NULL) == 0) {
        char *l = realloc(label, label_len + 1);
        if (!l) {
            rc = ms_error_nomem(err);
            goto out;
        }
        label = (uint8_t *)l;
        label[label_len] = '\0';
    }
    if (!id && !label) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: the key has neither CKA_ID nor CKA_LABEL to find "
                          "its public key by",
                          u->display);
        goto out;
    }
    if ((rc = token_public_key(t, id, id_len, (const char *)label, t->type, &key, u->display,
                               err)) != 0)
        goto out;
    key->secret = 1;
    key->token = t;
    t = NULL;
    *out = key;
    key = NULL;
out:
    free(params);
    free(id);
    free(label);
    ms_key_free(key);
    key_token_free(t);
    p11_uri_free(u);
    return rc;
}

/* ---- signing ---- */

/* DER ECDSA-Sig-Value from the raw r||s a token returns. */
static int raw_to_der(const uint8_t *raw, size_t len, uint8_t **der, size_t *der_len, ms_error *err)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)(len / 2), NULL);
    BIGNUM *sv = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
    unsigned char *out = NULL;
    int rc = 0, n;
    if (!s || !r || !sv || ECDSA_SIG_set0(s, r, sv) != 1) {
        BN_free(r);
        BN_free(sv);
        rc = ms_error_nomem(err);
        goto out;
    }
    r = sv = NULL; /* owned by s */
    if ((n = i2d_ECDSA_SIG(s, &out)) <= 0) {
        rc = ms_error_set(err, MS_EENV, "cannot encode the token's signature");
        goto out;
    }
    if (!(*der = malloc((size_t)n))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    memcpy(*der, out, (size_t)n);
    *der_len = (size_t)n;
out:
    OPENSSL_free(out);
    ECDSA_SIG_free(s);
    ERR_clear_error();
    return rc;
}

int key_token_sign(const ms_key *key, const uint8_t *msg, size_t len, uint8_t **sig,
                   size_t *sig_len, ms_error *err)
{
    key_token *t = key->token;
    uint8_t digest[EVP_MAX_MD_SIZE], raw[512];
    unsigned int digest_len = 0;
    CK_ULONG raw_len = sizeof raw;
    uint8_t *out = NULL;
    size_t out_len = 0;
    int rc = 0;
    CK_MECHANISM mech = {t->type == MS_KEY_ED25519 ? CKM_EDDSA : CKM_ECDSA, NULL, 0};
    const uint8_t *input = msg;
    CK_ULONG input_len = len;
    if (t->type != MS_KEY_ED25519) {
        if (EVP_Digest(msg, len, digest, &digest_len, key_ec_digest(t->type), NULL) != 1)
            return ms_error_set(err, MS_EENV, "cannot hash the message: %s", key_openssl_reason());
        input = digest;
        input_len = digest_len;
    }
    CK_RV rv = t->module->C_SignInit(t->session, &mech, t->key);
    if (rv == CKR_OK)
        rv = t->module->C_Sign(t->session, (CK_BYTE *)input, input_len, raw, &raw_len);
    if (rv != CKR_OK)
        return ms_error_set(err, MS_EENV, "%s: the token did not sign: %s", t->display,
                            rv_text(rv));
    size_t want = t->type == MS_KEY_ED25519 ? 64 : 2 * ((point_len(t->type) - 1) / 2);
    if (raw_len != want)
        return ms_error_set(err, MS_EENV, "%s: the token's signature is %lu bytes, not %zu",
                            t->display, (unsigned long)raw_len, want);
    if (t->type == MS_KEY_ED25519) {
        if (!(out = malloc(64)))
            return ms_error_nomem(err);
        memcpy(out, raw, 64);
        out_len = 64;
    } else if ((rc = raw_to_der(raw, raw_len, &out, &out_len, err)) != 0) {
        return rc;
    }
    /* The self-check: a public key object that does not belong to the private key would
     * otherwise give bundles nobody can verify. */
    ms_error ignored;
    if (ms_key_verify(key, msg, len, out, out_len, &ignored) != 0) {
        free(out);
        return ms_error_set(err, MS_EINPUT,
                            "%s: the token's signature does not verify with the key's public "
                            "key object (they are not one key pair)",
                            t->display);
    }
    *sig = out;
    *sig_len = out_len;
    return 0;
}

/* ---- the public functions ---- */

int ms_key_open_signer(const char *source, ms_passphrase_fn get_secret, void *ctx, ms_key **out,
                       ms_error *err)
{
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!source)
        return ms_error_set(err, MS_EINPUT, "no key given");
    if (p11_uri_is(source))
        return key_token_open(source, get_secret, ctx, out, err);
    if (key_remote_is(source))
        return key_remote_open(source, out, err);
    return ms_key_load_secret(source, get_secret, ctx, out, err);
}

int ms_key_is_token_uri(const char *source)
{
    return p11_uri_is(source);
}

int ms_key_generate_on_token(const char *text, ms_key_type type, ms_passphrase_fn get_pin,
                             void *ctx, ms_key **out, ms_error *err)
{
    p11_uri *u = NULL;
    key_token *t = NULL;
    CK_SLOT_ID slot = 0;
    uint8_t id[16];
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if ((rc = p11_uri_parse(text, &u, err)) != 0)
        return rc;
    if (!key_type_valid(type)) {
        rc = ms_error_set(err, MS_EINPUT, "unknown key type %d", (int)type);
        goto out;
    }
    if (!u->object) {
        rc = ms_error_set(err, MS_EINPUT, "%s: name the new key with object=", u->display);
        goto out;
    }
    if (!(t = calloc(1, sizeof *t)) || !(t->display = strdup(u->display))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = open_session(u, 1, 1, get_pin, ctx, t, &slot, err)) != 0)
        goto out;
    /* Never a second key under the same name: signing by that name would become ambiguous. */
    static const CK_OBJECT_CLASS classes[] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE};
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        CK_OBJECT_HANDLE found[2];
        CK_ULONG n = 0;
        if ((rc = find_objects(t, classes[i], NULL, 0, u->object, found, &n, u->display, err)) != 0)
            goto out;
        if (n == 0 && u->has_id &&
            (rc = find_objects(t, classes[i], u->id, u->id_len, NULL, found, &n, u->display,
                               err)) != 0)
            goto out;
        if (n > 0) {
            rc = ms_error_set(err, MS_EINPUT, "%s: the token already holds an object of that %s",
                              u->display, u->has_id ? "label or id" : "label");
            goto out;
        }
    }
    const uint8_t *key_id = u->has_id ? u->id : id;
    size_t key_id_len = u->has_id ? u->id_len : sizeof id;
    if (!u->has_id)
        randombytes_buf(id, sizeof id);
    const uint8_t *params = type == MS_KEY_ECDSA_P256   ? oid_p256
                            : type == MS_KEY_ECDSA_P384 ? oid_p384
                            : type == MS_KEY_ECDSA_P521 ? oid_p521
                                                        : oid_ed25519;
    size_t params_len = type == MS_KEY_ECDSA_P256   ? sizeof oid_p256
                        : type == MS_KEY_ECDSA_P384 ? sizeof oid_p384
                        : type == MS_KEY_ECDSA_P521 ? sizeof oid_p521
                                                    : sizeof oid_ed25519;
    CK_MECHANISM mech = {type == MS_KEY_ED25519 ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN,
                         NULL, 0};
    if (!has_mechanism(t, slot, mech.mechanism) ||
        !has_mechanism(t, slot, type == MS_KEY_ED25519 ? CKM_EDDSA : CKM_ECDSA)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: the token cannot make and sign with %s keys",
                          u->display, ms_key_type_name(type));
        goto out;
    }
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE pub_tmpl[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &no, sizeof no},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_EC_PARAMS, (void *)params, params_len},
        {CKA_LABEL, u->object, strlen(u->object)},
        {CKA_ID, (void *)key_id, key_id_len},
    };
    CK_ATTRIBUTE priv_tmpl[] = {
        {CKA_TOKEN, &yes, sizeof yes},        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},    {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},         {CKA_LABEL, u->object, strlen(u->object)},
        {CKA_ID, (void *)key_id, key_id_len},
    };
    CK_OBJECT_HANDLE pub = 0, priv = 0;
    CK_RV rv = t->module->C_GenerateKeyPair(t->session, &mech, pub_tmpl,
                                            sizeof pub_tmpl / sizeof pub_tmpl[0], priv_tmpl,
                                            sizeof priv_tmpl / sizeof priv_tmpl[0], &pub, &priv);
    if (rv != CKR_OK) {
        rc = ms_error_set(err,
                          rv == CKR_MECHANISM_INVALID || rv == CKR_DOMAIN_PARAMS_INVALID ? MS_EINPUT
                                                                                         : MS_EENV,
                          "%s: the token did not make an %s key pair: %s", u->display,
                          ms_key_type_name(type), rv_text(rv));
        goto out;
    }
    rc = token_public_key(t, key_id, key_id_len, NULL, type, out, u->display, err);
out:
    key_token_free(t);
    p11_uri_free(u);
    return rc;
}

int ms_x509_chain_append_source(ms_x509_chain *chain, const char *source, ms_error *err)
{
    p11_uri *u = NULL;
    key_token *t = NULL;
    uint8_t *der = NULL;
    size_t len = 0;
    CK_SLOT_ID slot = 0;
    if (!p11_uri_is(source))
        return ms_x509_chain_append_file(chain, source, err);
    int rc = p11_uri_parse(source, &u, err);
    if (rc != 0)
        return rc;
    if (u->type != P11_TYPE_ANY && u->type != P11_TYPE_CERT) {
        rc =
            ms_error_set(err, MS_EINPUT, "%s: a certificate is an object of type=cert", u->display);
        goto out;
    }
    if (!(t = calloc(1, sizeof *t))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    /* Certificates are public objects: no login, no PIN. */
    if ((rc = open_session(u, 0, 0, NULL, NULL, t, &slot, err)) != 0)
        goto out;
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    if ((rc = find_objects(t, CKO_CERTIFICATE, u->has_id ? u->id : NULL, u->id_len, u->object,
                           found, &n, u->display, err)) != 0)
        goto out;
    if (n != 1) {
        rc = ms_error_set(err, MS_EINPUT,
                          n == 0 ? "%s: no such certificate on the token"
                                 : "%s: more than one certificate matches; name one (object=, "
                                   "id=)",
                          u->display);
        goto out;
    }
    if ((rc = get_attribute(t, found[0], CKA_VALUE, &der, &len, u->display, err)) == 0)
        rc = ms_x509_chain_add_der(chain, der, len, err);
out:
    free(der);
    key_token_free(t);
    p11_uri_free(u);
    return rc;
}
