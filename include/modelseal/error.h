/* Error reporting for libmodelseal.
 *
 * Every fallible library function returns 0 on success or one negative MS_E* code, and fills
 * an ms_error with a one-line message that names the file, field or resource and the cause.
 * The library never prints and never exits; the CLI maps codes to exit statuses. */
#ifndef MODELSEAL_ERROR_H
#define MODELSEAL_ERROR_H

#include "export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    MS_OK = 0,
    MS_EVERIFY = -1, /* the input is well formed but is not what was signed (exit 1) */
    MS_EINPUT = -2,  /* usage error, malformed or unreadable input (exit 2) */
    MS_EENV = -3,    /* environment: I/O, network, resources (exit 3) */
    MS_ENOMEM = -4   /* out of memory (exit 3) */
};

#define MS_ERROR_MESSAGE_MAX 1024

typedef struct ms_error {
    int code;
    char message[MS_ERROR_MESSAGE_MAX];
} ms_error;

/* Record an error and return `code`, so callers can write `return ms_error_set(err, ...)`.
 * `err` may be NULL. A message longer than the buffer is truncated. */
MS_API int ms_error_set(ms_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record an out-of-memory error and return MS_ENOMEM. */
MS_API int ms_error_nomem(ms_error *err);

/* Reset to "no error". `err` may be NULL. */
MS_API void ms_error_clear(ms_error *err);

/* Release memory the library allocated and handed over (text, bytes: every `char **out` and
 * `uint8_t **out` of the API). Accepts NULL. */
MS_API void ms_free(void *p);

/* The process exit status for a library code: 0, 1 (verification), 2 (input), 3 (environment). */
MS_API int ms_error_exit_status(int code);

#ifdef __cplusplus
}
#endif
#endif
