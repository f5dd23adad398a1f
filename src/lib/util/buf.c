/* ms_buf: growable, always NUL-terminated byte buffer. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/error.h"
#include "util/buf.h"

int msx_buf_reserve(ms_buf *buf, size_t extra)
{
    size_t need;
    if (__builtin_add_overflow(buf->len, extra, &need) || __builtin_add_overflow(need, 1, &need))
        return MS_ENOMEM;
    if (need <= buf->cap)
        return 0;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need) {
        if (__builtin_mul_overflow(cap, 2, &cap))
            return MS_ENOMEM;
    }
    unsigned char *p = realloc(buf->data, cap);
    if (!p)
        return MS_ENOMEM;
    buf->data = p;
    buf->cap = cap;
    return 0;
}

int msx_buf_append(ms_buf *buf, const void *data, size_t len)
{
    if (msx_buf_reserve(buf, len))
        return MS_ENOMEM;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

int msx_buf_append_str(ms_buf *buf, const char *s)
{
    return msx_buf_append(buf, s, strlen(s));
}

int msx_buf_vprintf(ms_buf *buf, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || msx_buf_reserve(buf, (size_t)n))
        return MS_ENOMEM;
    vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
    buf->len += (size_t)n;
    return 0;
}

int msx_buf_printf(ms_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = msx_buf_vprintf(buf, fmt, ap);
    va_end(ap);
    return rc;
}

void msx_buf_reset(ms_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

char *msx_buf_detach(ms_buf *buf)
{
    if (!buf->data) {
        if (msx_buf_reserve(buf, 0))
            return NULL;
        buf->data[0] = '\0';
    }
    char *s = (char *)buf->data;
    buf->data = NULL;
    buf->len = buf->cap = 0;
    return s;
}

int msx_buf_export(ms_buf *buf, char **out, size_t *out_len)
{
    size_t len = buf->len;
    char *s = msx_buf_detach(buf);
    if (!s) {
        msx_buf_free(buf);
        return MS_ENOMEM;
    }
    *out = s;
    if (out_len)
        *out_len = len;
    return 0;
}

void msx_buf_free(ms_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

int msx_strlist_add(char ***list, size_t *n, const char *s)
{
    char **p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p)
        return MS_ENOMEM;
    *list = p;
    if (!(p[*n] = strdup(s)))
        return MS_ENOMEM;
    (*n)++;
    return 0;
}
