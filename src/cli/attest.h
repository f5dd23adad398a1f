/* Private to the attest command: its subcommands (cmd_attest_provenance.c, cmd_attest_list.c,
 * dispatched by cmd_attest.c) and the evidence readers of attest provenance
 * (attest_evidence.c). */
#ifndef MODELSEAL_CLI_ATTEST_H
#define MODELSEAL_CLI_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/modelseal.h"

/* The subcommands; argv[0] is the subcommand's name. They return an exit status. Their bits in
 * the option table (cmd_attest_help.options): */
enum { ATTEST_PROVENANCE = 1u << 0, ATTEST_LIST = 1u << 1 };
int cli_attest_provenance(int argc, char **argv);
int cli_attest_list(int argc, char **argv);

/* A growable list of strings (owned or borrowed, per list). Zero-initialise. */
typedef struct attest_strlist {
    char **items;
    size_t *lens;
    size_t n;
} attest_strlist;

/* Append s (of length len); 0, or -1 when out of memory. */
int attest_strlist_add(attest_strlist *l, char *s, size_t len);
/* Free the list, and its strings when `owned`; leaves it empty. */
void attest_strlist_free(attest_strlist *l, int owned);

/* 1 when `path` exists. */
int attest_file_exists(const char *path);

/* Read a model signature (OMS, at most `max` bytes): its compact claims line (*line, malloc'd,
 * of *len bytes), its subject name (*name, malloc'd) and root. Errors name the file. */
int attest_read_model_subject(const char *sig_path, size_t max, char **line, size_t *len,
                              char **name, uint8_t root[MS_SHA256_SIZE], ms_error *err);

/* --dataset MANIFEST[=SIG]: add the dataset dependency to p, and the signature's claims line
 * (when there is a signature) to `lines`. */
int attest_add_dataset(ms_provenance *p, const char *arg, attest_strlist *lines, ms_error *err);

/* --base-model PATH: add the base model dependency to p, and its signature's line and every
 * line of its claims file to `lines`. */
int attest_add_base_model(ms_provenance *p, const char *path, attest_strlist *lines, ms_error *err);

#endif
