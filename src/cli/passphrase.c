/* Passphrases for secret keys: from --password-file, from MODELSEAL_PASSWORD, or typed at the
 * controlling terminal with echo off. Every buffer that held a passphrase is wiped. This file
 * does not know about key formats; the library asks through ms_passphrase_fn. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

#define NO_SOURCE_MESSAGE                                                                          \
    "a passphrase is needed: set MODELSEAL_PASSWORD, use --password-file, or run on a terminal"

/* Copy `text` (len bytes, no NUL) into buf as a C string; `what` names the source. */
static int store(const char *text, size_t len, char *buf, size_t size, const char *what,
                 ms_error *err)
{
    if (memchr(text, '\0', len))
        return ms_error_set(err, MS_EINPUT, "%s: the passphrase contains a NUL byte", what);
    if (len >= size || len > MS_KEY_PASSPHRASE_MAX)
        return ms_error_set(err, MS_EINPUT, "%s: passphrase longer than %d bytes", what,
                            MS_KEY_PASSPHRASE_MAX);
    memcpy(buf, text, len);
    buf[len] = '\0';
    return 0;
}

/* Read a line from `fd` into `line` (cap bytes); *len excludes the newline (and a "\r" before
 * it). *overlong is set when the line did not fit: the rest of it is left unread. */
static int read_line(int fd, char *line, size_t cap, size_t *len, int *overlong, int *got_any)
{
    size_t n = 0;
    *overlong = 0;
    *got_any = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        *got_any = 1;
        if (c == '\n')
            break;
        if (n == cap) {
            *overlong = 1;
            break;
        }
        line[n++] = c;
    }
    if (n > 0 && line[n - 1] == '\r')
        n--;
    *len = n;
    return 0;
}

static int from_file(const char *path, char *buf, size_t size, ms_error *err)
{
    size_t cap = MS_KEY_PASSPHRASE_MAX + 1, len = 0;
    int overlong = 0, got_any = 0, rc;
    char *line = sodium_malloc(cap);
    if (!line)
        return ms_error_nomem(err);
    int fd = -1;
    if ((rc = msx_file_open_regular(path, 0, &fd, NULL, err)) != 0)
        goto out;
    if (read_line(fd, line, cap, &len, &overlong, &got_any) < 0) {
        rc = ms_error_set(err, errno == EISDIR ? MS_EINPUT : MS_EENV, "%s: cannot read: %s", path,
                          strerror(errno));
        goto out;
    }
    if (overlong) {
        rc = ms_error_set(err, MS_EINPUT, "%s: passphrase longer than %d bytes", path,
                          MS_KEY_PASSPHRASE_MAX);
        goto out;
    }
    if (len == 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: empty passphrase (the first line is empty)", path);
        goto out;
    }
    rc = store(line, len, buf, size, path, err);
out:
    if (fd >= 0)
        close(fd);
    sodium_memzero(line, cap);
    sodium_free(line);
    return rc;
}

/* ---- the terminal ---- */

/* The terminal whose echo is off, for the signal handler to restore. */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved;
static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct sigaction tty_old_actions[sizeof tty_signals / sizeof tty_signals[0]];

static void tty_on_signal(int sig)
{
    if (tty_fd >= 0)
        tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
    /* Die (or stop) the way the signal would have made us, echo restored. */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Turn echo off on `fd` (newlines still echo) and restore it if a terminating signal arrives.
 * On failure nothing has changed. */
static int tty_echo_off(int fd)
{
    struct termios t;
    struct sigaction sa;
    if (tcgetattr(fd, &tty_saved) != 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tty_on_signal;
    sigemptyset(&sa.sa_mask);
    tty_fd = fd;
    for (size_t i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
        sigaction(tty_signals[i], &sa, &tty_old_actions[i]);
    t = tty_saved;
    t.c_lflag &= ~(tcflag_t)ECHO;
    t.c_lflag |= ECHONL;
    if (tcsetattr(fd, TCSAFLUSH, &t) != 0) {
        int saved_errno = errno;
        tty_fd = -1;
        for (size_t i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
            sigaction(tty_signals[i], &tty_old_actions[i], NULL);
        errno = saved_errno;
        return -1;
    }
    return 0;
}

/* Undo tty_echo_off. */
static void tty_echo_restore(int fd)
{
    tcsetattr(fd, TCSAFLUSH, &tty_saved);
    tty_fd = -1;
    for (size_t i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
        sigaction(tty_signals[i], &tty_old_actions[i], NULL);
}

/* Prompt on the terminal `fd` and read one line into buf. */
static int prompt_once(int fd, const char *prompt, char *buf, size_t size, ms_error *err)
{
    size_t cap = MS_KEY_PASSPHRASE_MAX + 1, len = 0;
    int overlong = 0, got_any = 0, rc = 0;
    char *line = sodium_malloc(cap);
    if (!line)
        return ms_error_nomem(err);
    if (tty_echo_off(fd) != 0) {
        rc = ms_error_set(err, MS_EENV, "/dev/tty: cannot turn echo off: %s", strerror(errno));
        goto out;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        rc = ms_error_set(err, MS_EENV, "/dev/tty: cannot prompt for the passphrase: %s",
                          strerror(errno));
        tty_echo_restore(fd);
        goto out;
    }
    int r = read_line(fd, line, cap, &len, &overlong, &got_any);
    int saved_errno = errno;
    tty_echo_restore(fd);
    if (r < 0) {
        rc = ms_error_set(err, MS_EENV, "/dev/tty: cannot read the passphrase: %s",
                          strerror(saved_errno));
    } else if (!got_any) {
        rc = ms_error_set(err, MS_EINPUT, "no passphrase entered");
    } else if (overlong) {
        /* Discard the rest of the line so it does not reach the shell. */
        tcflush(fd, TCIFLUSH);
        rc = ms_error_set(err, MS_EINPUT, "passphrase longer than %d bytes", MS_KEY_PASSPHRASE_MAX);
    } else {
        rc = store(line, len, buf, size, "terminal", err);
    }
out:
    sodium_memzero(line, cap);
    sodium_free(line);
    return rc;
}

static int from_terminal(int confirm, int pin, char *buf, size_t size, ms_error *err)
{
    char *again = NULL;
    int rc;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return ms_error_set(err, MS_EINPUT, NO_SOURCE_MESSAGE);
    rc = prompt_once(fd,
                     pin       ? "PIN: "
                     : confirm ? "Passphrase for the new key: "
                               : "Passphrase: ",
                     buf, size, err);
    if (rc < 0 || !confirm)
        goto out;
    again = sodium_malloc(size);
    if (!again) {
        rc = ms_error_nomem(err);
        goto out;
    }
    rc = prompt_once(fd, "Repeat the passphrase: ", again, size, err);
    if (rc == 0 && strcmp(buf, again) != 0)
        rc = ms_error_set(err, MS_EINPUT, "the passphrases do not match");
out:
    if (again) {
        sodium_memzero(again, size);
        sodium_free(again);
    }
    if (rc < 0)
        sodium_memzero(buf, size);
    close(fd);
    return rc;
}

int cli_passphrase_callback(void *ctx, char *buf, size_t size, ms_error *err)
{
    const cli_passphrase_source *src = ctx;
    if (!buf || size == 0)
        return ms_error_set(err, MS_EINPUT, "no room for a passphrase");
    if (sodium_init() < 0)
        return ms_error_set(err, MS_EENV, "cannot initialise libsodium");
    if (src && src->password_file)
        return from_file(src->password_file, buf, size, err);
    const char *env = getenv("MODELSEAL_PASSWORD");
    if (env)
        return store(env, strlen(env), buf, size, "MODELSEAL_PASSWORD", err);
    return from_terminal(src ? src->confirm : 0, src ? src->pin : 0, buf, size, err);
}

char *cli_passphrase_get(const cli_passphrase_source *src, ms_error *err)
{
    if (sodium_init() < 0) {
        ms_error_set(err, MS_EENV, "cannot initialise libsodium");
        return NULL;
    }
    char *buf = sodium_malloc(MS_KEY_PASSPHRASE_MAX + 1);
    if (!buf) {
        ms_error_nomem(err);
        return NULL;
    }
    memset(buf, 0, MS_KEY_PASSPHRASE_MAX + 1);
    if (cli_passphrase_callback((void *)src, buf, MS_KEY_PASSPHRASE_MAX + 1, err) < 0) {
        cli_passphrase_free(buf);
        return NULL;
    }
    return buf;
}

void cli_passphrase_free(char *passphrase)
{
    if (passphrase) {
        sodium_memzero(passphrase, MS_KEY_PASSPHRASE_MAX + 1);
        sodium_free(passphrase);
    }
}
