/* Progress on stderr: a one-line bar on a terminal (erased when done), or a plain line every
 * ten seconds for CI and pod logs; never in --json mode; and the summary line a long command
 * ends with. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(double v, char *out, size_t n)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

int cli_progress_parse(const char *s)
{
    static const struct {
        const char *name;
        int mode;
    } modes[] = {{"auto", CLI_PROGRESS_AUTO},
                 {"bar", CLI_PROGRESS_BAR},
                 {"plain", CLI_PROGRESS_PLAIN},
                 {"none", CLI_PROGRESS_NONE}};
    for (size_t i = 0; s && i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(s, modes[i].name) == 0)
            return modes[i].mode;
    return -2;
}

static void human_time(double s, char *out, size_t n)
{
    if (s < 60)
        snprintf(out, n, s < 10 ? "%.1fs" : "%.0fs", s);
    else if (s < 3600)
        snprintf(out, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(out, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

void cli_progress_start(cli_progress *p, int mode, const char *label)
{
    if (mode == CLI_PROGRESS_UNSET) {
        const char *env = getenv("MODELSEAL_PROGRESS");
        mode = env && *env ? cli_progress_parse(env) : CLI_PROGRESS_AUTO;
        if (mode == -2) {
            cli_message("warning: MODELSEAL_PROGRESS: expected auto, bar, plain or none, not '%s'",
                        env);
            mode = CLI_PROGRESS_AUTO;
        }
    }
    if (mode == CLI_PROGRESS_AUTO)
        mode = isatty(STDERR_FILENO) ? CLI_PROGRESS_BAR : CLI_PROGRESS_NONE;
    p->mode = cli_quiet ? CLI_PROGRESS_NONE : mode;
    p->started = p->last = now_seconds();
    p->interval = 10;
    const char *iv = getenv("MODELSEAL_PROGRESS_INTERVAL");
    if (iv && *iv) {
        char *end;
        double v = strtod(iv, &end);
        if (!*end && v > 0 && v < 86400)
            p->interval = v;
    }
    p->drawn = 0;
    p->label = label;
    p->done = p->total = 0;
}

void cli_progress_update(void *ctx, uint64_t done, uint64_t total)
{
    cli_progress *p = ctx;
    p->done = done;
    p->total = total;
    if (p->mode == CLI_PROGRESS_NONE)
        return;
    double now = now_seconds();
    if (p->mode == CLI_PROGRESS_PLAIN && now - p->last < p->interval)
        return;
    /* A dataset's files are counted as they are hashed: the bar is redrawn ten times a second
     * at most. */
    if (p->mode == CLI_PROGRESS_BAR && !total && p->drawn && now - p->last < 0.1)
        return;
    double elapsed = now - p->started;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    char d[32], t[32], r[32], e[32];
    human_bytes((double)done, d, sizeof d);
    human_bytes((double)total, t, sizeof t);
    human_bytes(rate, r, sizeof r);
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    double eta = rate > 0 && total > done ? (double)(total - done) / rate : 0;
    human_time(eta, e, sizeof e);
    if (!total) { /* not known before the walk ends (datasets) */
        if (p->mode == CLI_PROGRESS_PLAIN)
            fprintf(stderr, "%s %s, %s/s\n", p->label, d, r);
        else
            fprintf(stderr, "\r%s %s  %s/s   ", p->label, d, r);
        p->drawn = p->mode == CLI_PROGRESS_BAR;
        p->last = now;
    } else if (p->mode == CLI_PROGRESS_PLAIN) {
        fprintf(stderr, "%s %s / %s (%.0f%%), %s/s, ETA %s\n", p->label, d, t, pct, r, e);
        p->last = now;
    } else {
        fprintf(stderr, "\r%s %s / %s  %5.1f%%  %s/s  ETA %s   ", p->label, d, t, pct, r, e);
        p->drawn = 1;
    }
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->mode == CLI_PROGRESS_BAR && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}

void cli_progress_summary(const cli_progress *p, const char *done, uint64_t files)
{
    if (cli_quiet)
        return;
    double elapsed = now_seconds() - p->started;
    char size[32], rate[32], took[32], count[48] = "";
    uint64_t bytes = p->total ? p->total : p->done; /* a dataset's total is what was hashed */
    human_bytes((double)bytes, size, sizeof size);
    human_bytes(elapsed > 0 ? (double)bytes / elapsed : 0, rate, sizeof rate);
    human_time(elapsed, took, sizeof took);
    if (files != CLI_FILES_UNKNOWN)
        snprintf(count, sizeof count, "%llu file%s, ", (unsigned long long)files,
                 files == 1 ? "" : "s");
    fprintf(stderr, "%s %s%s in %s (%s/s)\n", done, count, size, took, rate);
}

uint64_t cli_manifest_files(const ms_manifest *m)
{
    if (m->serialization.method == MS_METHOD_FILES)
        return m->n_resources;
    /* Shards are "path:start:end": a file's first shard starts at 0. */
    uint64_t n = m->n_empty_files;
    for (size_t i = 0; i < m->n_resources; i++) {
        const char *name = m->resources[i].name;
        const char *end = strrchr(name, ':');
        const char *start = end;
        while (start && start > name && start[-1] != ':')
            start--;
        if (end && start > name && end - start == 1 && start[0] == '0')
            n++;
    }
    return n;
}
