/* rng.h — xcap's own seeded random numbers (PCG32), so runs repeat bit for bit.
 * The state is a plain value: copy it to fork a stream, store it in checkpoints. */
#ifndef XCAP_NN_RNG_H
#define XCAP_NN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state, inc;
} nn_rng;

/* Seeds the generator; the same seed always gives the same sequence. */
void nn_rng_seed(nn_rng *r, uint64_t seed);
/* Next 32 random bits. */
uint32_t nn_rng_u32(nn_rng *r);
/* Uniform float in [0, 1). */
float nn_rng_uniform(nn_rng *r);
/* Standard normal (Box–Muller). */
float nn_rng_normal(nn_rng *r);
/* Uniform integer in [0, n), without modulo bias; n > 0. */
uint32_t nn_rng_below(nn_rng *r, uint32_t n);
/* Mixes two 64-bit values into a well-spread seed (splitmix64), e.g. (base seed, item index). */
uint64_t nn_seed_mix(uint64_t a, uint64_t b);

#endif
