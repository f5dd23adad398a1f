/* ms_buf: a growable byte buffer (the strbuf of this project).
 *
 * The data is always NUL-terminated past `len`, so text can be used as a C string. Allocation
 * sizes are overflow-checked. */
#ifndef MODELSEAL_BUF_H
#define MODELSEAL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_buf {
    unsigned char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
} ms_buf;

#define MS_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Make room for `extra` more bytes (plus the terminator). 0 or MS_ENOMEM. */
int msx_buf_reserve(ms_buf *buf, size_t extra);
/* Append bytes / a C string / formatted text. 0 or MS_ENOMEM. */
int msx_buf_append(ms_buf *buf, const void *data, size_t len);
int msx_buf_append_str(ms_buf *buf, const char *s);
int msx_buf_printf(ms_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int msx_buf_vprintf(ms_buf *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Forget the contents but keep the allocation. */
void msx_buf_reset(ms_buf *buf);
/* Hand the contents to the caller (free() it; never NULL on success: an empty buffer gives "").
 * Returns NULL only when out of memory. The buffer is left empty. */
char *msx_buf_detach(ms_buf *buf);
/* Hand the contents over as the API does (*out released with ms_free, never NULL on success,
 * NUL-terminated; *out_len its length, may be NULL). 0 or MS_ENOMEM; the buffer is left empty
 * either way. */
int msx_buf_export(ms_buf *buf, char **out, size_t *out_len);
/* Release the memory. */
void msx_buf_free(ms_buf *buf);

/* Append a copy of `s` to the growable array *list of *n strings (each freed with free(), the
 * array too). 0, or MS_ENOMEM with the list unchanged but possibly reallocated. */
int msx_strlist_add(char ***list, size_t *n, const char *s);

#ifdef __cplusplus
}
#endif
#endif
