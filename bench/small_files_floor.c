/* The floor for hashing many small files on this machine (bench/dataset.sh): what any program
 * that reads every file of a tree and hashes it must at least pay, with nothing else (no
 * manifest, no ordering of results, no compression, no error reporting). Two threads take the
 * folders of DIR in turns; each lists a folder, sorts the names, and for every file does what
 * `modelseal dataset manifest` does per small file: openat (O_NOFOLLOW | O_NONBLOCK |
 * O_NOATIME), one pread, fstat (the check that nothing wrote to it meanwhile), close, and SHA-256
 * through OpenSSL's EVP interface. Prints the wall seconds of the best of three runs and the
 * number of files. With --no-fstat it skips the fstat, to show what that check costs.
 *
 *   cc -O2 -o floor bench/small_files_floor.c -lcrypto -lpthread
 *   ./floor DIR [--no-fstat]     (DIR: folders of files, the benchmark's tree)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define THREADS 2
#define BUFFER (64 * 1024)

static int root_fd, no_fstat;
static char **folders;
static size_t n_folders;
static atomic_size_t files_done;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of the directory open at fd, sorted (regular files only when `files`). */
static char **list(int fd, int files, size_t *n)
{
    DIR *d = fdopendir(fd);
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    *n = 0;
    if (!d) {
        perror("fdopendir");
        exit(2);
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (files ? e->d_type != DT_REG : e->d_type != DT_DIR))
            continue;
        if (*n == cap && !(names = realloc(names, (cap = cap ? cap * 2 : 256) * sizeof *names))) {
            perror("realloc");
            exit(2);
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, by_name);
    return names;
}

static void *worker(void *arg)
{
    size_t first = (size_t)arg;
    unsigned char *buf = malloc(BUFFER), md[EVP_MAX_MD_SIZE];
    EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned long sink = 0;
    for (size_t f = first; f < n_folders; f += THREADS) {
        int dfd = openat(root_fd, folders[f], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int lfd = dfd < 0 ? -1 : dup(dfd);
        size_t n;
        if (lfd < 0) {
            perror(folders[f]);
            exit(2);
        }
        char **names = list(lfd, 1, &n);
        for (size_t i = 0; i < n; i++) {
            struct stat st;
            unsigned len;
            int fd =
                openat(dfd, names[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOATIME);
            ssize_t r = fd < 0 ? -1 : pread(fd, buf, BUFFER, 0);
            if (r < 0 || (!no_fstat && fstat(fd, &st) != 0)) {
                perror(names[i]);
                exit(2);
            }
            close(fd);
            EVP_DigestInit_ex(ctx, sha, NULL);
            EVP_DigestUpdate(ctx, buf, (size_t)r);
            EVP_DigestFinal_ex(ctx, md, &len);
            sink += md[0];
            free(names[i]);
        }
        free(names);
        close(dfd);
        atomic_fetch_add(&files_done, n);
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(sha);
    free(buf);
    return (void *)sink;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--no-fstat") != 0)) {
        fprintf(stderr, "usage: %s DIR [--no-fstat]\n", argv[0]);
        return 2;
    }
    no_fstat = argc == 3;
    double best = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        if ((root_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            perror(argv[1]);
            return 2;
        }
        int lfd = dup(root_fd);
        if (lfd < 0) {
            perror("dup");
            return 2;
        }
        folders = list(lfd, 0, &n_folders);
        atomic_store(&files_done, 0);
        pthread_t tid[THREADS];
        for (size_t i = 0; i < THREADS; i++)
            pthread_create(&tid[i], NULL, worker, (void *)i);
        for (size_t i = 0; i < THREADS; i++)
            pthread_join(tid[i], NULL);
        double t = now() - t0;
        for (size_t i = 0; i < n_folders; i++)
            free(folders[i]);
        free(folders);
        close(root_fd);
        if (run == 0 || t < best)
            best = t;
    }
    printf("%.3f %zu\n", best, (size_t)atomic_load(&files_done));
    return 0;
}
