/* BLAKE3's tree, cut across threads: the chaining value of one subtree of a file, and the
 * file's digest from the chaining values of its subtrees.
 *
 * BLAKE3 hashes 1 KiB chunks into a binary tree (left subtrees hold a power-of-two number of
 * chunks); any aligned run of 2^k chunks is a subtree whose 32-byte chaining value depends only
 * on its bytes and its first chunk's index. The batch engine (hash.c) and the streaming engine
 * (hash_stream.c, dataset manifests) hash such runs of a large file on different threads and
 * join them here. The official C implementation offers only the
 * incremental hasher (its own subtree functions are static), so this file drives that hasher's
 * documented state (blake3.h: the chunk counter, the chaining-value stack) and compresses the
 * non-root nodes with its internal compression function (blake3_impl.h), the two steps the
 * public API keeps for the final (root) node. With the system's libblake3 the internal function
 * is not exported: this file is then empty (HASH_B3_TREE is 0) and every file is hashed in one
 * piece, with large reads so that the library's own SIMD paths run. */
#include "config.h"

#include <string.h>

#include "hash_internal.h"

#ifndef HAVE_SYSTEM_BLAKE3
#include "blake3_impl.h"

/* The chaining value of a node's output (not the root: no ROOT flag). */
static void node_cv(const uint32_t in_cv[8], const uint8_t block[BLAKE3_BLOCK_LEN],
                    uint8_t block_len, uint64_t counter, uint8_t flags, uint8_t out[BLAKE3_OUT_LEN])
{
    uint32_t cv[8];
    memcpy(cv, in_cv, sizeof cv);
    blake3_compress_in_place(cv, block, block_len, counter, flags);
    store_cv_words(out, cv);
}

/* Merge the two chaining values on top of the stack into their parent until the stack holds one
 * per set bit of `chunks` (the chunks hashed so far): the hasher's own lazy merge. */
static void merge_stack(blake3_hasher *h, uint64_t chunks)
{
    size_t keep = (size_t)popcnt(chunks);
    while (h->cv_stack_len > keep) {
        uint8_t *parent = &h->cv_stack[(h->cv_stack_len - 2) * BLAKE3_OUT_LEN];
        node_cv(h->key, parent, BLAKE3_BLOCK_LEN, 0, (uint8_t)(h->chunk.flags | PARENT), parent);
        h->cv_stack_len--;
    }
}

/* The hasher merges its stack by the number of chunks hashed in all (popcount of its chunk
 * counter). A subtree starting at chunk `first` (a multiple of its size) adds exactly
 * popcount(first) to that count at every point inside it, so the stack starts with that many
 * placeholder entries: the merges inside the subtree are then those of a hasher starting at
 * chunk 0 and never reach the placeholders, and the chunks are compressed with their true
 * indexes. */
void hash_b3_start_at(blake3_hasher *h, uint64_t first)
{
    blake3_hasher_reset(h);
    h->chunk.chunk_counter = first;
    h->cv_stack_len = (uint8_t)popcnt(first);
    memset(h->cv_stack, 0, (size_t)h->cv_stack_len * BLAKE3_OUT_LEN);
}

void hash_b3_subtree_cv(const blake3_hasher *h, uint64_t first, uint8_t out[BLAKE3_OUT_LEN])
{
    uint8_t cv[BLAKE3_OUT_LEN];
    size_t left, base = (size_t)popcnt(first);
    const blake3_chunk_state *c = &h->chunk;
    size_t chunk_len = (size_t)BLAKE3_BLOCK_LEN * c->blocks_compressed + c->buf_len;
    if (chunk_len > 0 || h->cv_stack_len == base) { /* the current chunk is the right edge */
        uint8_t flags =
            (uint8_t)(c->flags | CHUNK_END | (c->blocks_compressed == 0 ? CHUNK_START : 0));
        node_cv(c->cv, c->buf, c->buf_len, c->chunk_counter, flags, cv);
        left = h->cv_stack_len;
    } else { /* the input ended on a chunk boundary: the top two entries are the right edge */
        left = h->cv_stack_len - 2;
        node_cv(h->key, &h->cv_stack[left * BLAKE3_OUT_LEN], BLAKE3_BLOCK_LEN, 0,
                (uint8_t)(c->flags | PARENT), cv);
    }
    while (left > base) {
        uint8_t block[BLAKE3_BLOCK_LEN];
        left--;
        memcpy(block, &h->cv_stack[left * BLAKE3_OUT_LEN], BLAKE3_OUT_LEN);
        memcpy(block + BLAKE3_OUT_LEN, cv, BLAKE3_OUT_LEN);
        node_cv(h->key, block, BLAKE3_BLOCK_LEN, 0, (uint8_t)(c->flags | PARENT), cv);
    }
    memcpy(out, cv, BLAKE3_OUT_LEN);
}

int hash_b3_join(const uint8_t *cvs, const uint64_t *first_chunk, size_t n,
                 uint8_t out[BLAKE3_OUT_LEN])
{
    blake3_hasher h;
    if (n < 2)
        return -1;
    blake3_hasher_init(&h);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && first_chunk[i] <= first_chunk[i - 1])
            return -1;
        merge_stack(&h, first_chunk[i]);
        if (h.cv_stack_len > BLAKE3_MAX_DEPTH)
            return -1;
        memcpy(&h.cv_stack[h.cv_stack_len * BLAKE3_OUT_LEN], cvs + i * BLAKE3_OUT_LEN,
               BLAKE3_OUT_LEN);
        h.cv_stack_len++;
    }
    /* The chunk state is empty, so finalize makes the top two entries the root's children and
     * rolls the rest in, with the ROOT flag on the last node. */
    blake3_hasher_finalize(&h, out, BLAKE3_OUT_LEN);
    return 0;
}

size_t hash_b3_cut(uint64_t len, size_t buffer_size, uint64_t *starts)
{
    uint64_t piece_chunks = 1, c = 0;
    size_t k = 0;
    while (piece_chunks * 2 * 1024 <= (uint64_t)buffer_size * 4)
        piece_chunks *= 2;
    if (len <= piece_chunks * 1024) {
        if (starts) {
            starts[0] = 0;
            starts[1] = len;
        }
        return 1;
    }
    uint64_t full = (len - 1) / 1024; /* the chunks before the last one */
    for (; full - c >= piece_chunks; c += piece_chunks, k++)
        if (starts)
            starts[k] = c * 1024;
    for (uint64_t bit = piece_chunks / 2; bit >= 1; bit /= 2) {
        if (full - c >= bit) {
            if (starts)
                starts[k] = c * 1024;
            k++;
            c += bit;
        }
    }
    if (starts) {
        starts[k] = full * 1024;
        starts[k + 1] = len;
    }
    return k + 1;
}

#endif
