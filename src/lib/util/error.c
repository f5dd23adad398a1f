/* ms_error: one-line error messages for the library. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/error.h"

int ms_error_set(ms_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

int ms_error_nomem(ms_error *err)
{
    return ms_error_set(err, MS_ENOMEM, "out of memory");
}

void ms_error_clear(ms_error *err)
{
    if (err) {
        err->code = MS_OK;
        err->message[0] = '\0';
    }
}

void ms_free(void *p)
{
    free(p);
}

int ms_error_exit_status(int code)
{
    switch (code) {
    case MS_OK:
        return 0;
    case MS_EVERIFY:
        return 1;
    case MS_EINPUT:
        return 2;
    default:
        return 3;
    }
}
