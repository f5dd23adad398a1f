/* A one-line progress display on stderr: bytes, percentage, rate and ETA. Only on a terminal
 * (unless forced), never in --json mode, and erased when done. */
#include "config.h"

#include <stdio.h>
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

void cli_progress_start(cli_progress *p, int mode, const char *label)
{
    p->enabled = !cli_quiet && (mode == 1 || (mode == -1 && isatty(STDERR_FILENO)));
    p->started = now_seconds();
    p->drawn = 0;
    p->label = label;
}

void cli_progress_update(void *ctx, uint64_t done, uint64_t total)
{
    cli_progress *p = ctx;
    if (!p->enabled)
        return;
    double elapsed = now_seconds() - p->started;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    char d[32], t[32], r[32];
    human_bytes((double)done, d, sizeof d);
    human_bytes((double)total, t, sizeof t);
    human_bytes(rate, r, sizeof r);
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    double eta = rate > 0 && total > done ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r%s %s / %s  %5.1f%%  %s/s  ETA %.0fs   ", p->label, d, t, pct, r, eta);
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_end(cli_progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}
