/* arena.c — bump allocation of floats from one block. */
#include "nn/arena.h"

float *nn_arena_take(nn_arena *a, size_t n) {
    size_t rounded = (n + 15) & ~(size_t)15;
    float *p = a->base ? a->base + a->used : NULL;
    a->used += rounded;
    return p;
}
