/* arena.h — one block of floats handed out in pieces, sized up front.
 *
 * Used in two passes: with base == NULL, nn_arena_take only counts (and returns
 * NULL); after allocating `used` floats, a second pass hands out real pointers.
 * The arena never frees pieces; its owner frees base once. */
#ifndef XCAP_NN_ARENA_H
#define XCAP_NN_ARENA_H

#include <stddef.h>

typedef struct {
    float *base;  /* NULL while measuring */
    size_t used;  /* floats handed out so far */
} nn_arena;

/* The next n floats (rounded up to 16 for alignment), or NULL while measuring. */
float *nn_arena_take(nn_arena *a, size_t n);

#endif
