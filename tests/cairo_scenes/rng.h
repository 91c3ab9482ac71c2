/* rng.h — the renderer's own small random number generator (splitmix64). */
#ifndef CS_RNG_H
#define CS_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} cs_rng;

/* Mixes two 64-bit values into one well-spread value (the seed of scene i from (seed, i)). */
uint64_t cs_mix(uint64_t a, uint64_t b);

/* A generator started at seed. */
cs_rng cs_rng_make(uint64_t seed);

/* The next 64 random bits. */
uint64_t cs_rng_next(cs_rng *r);

/* Uniform in [0, 1). */
double cs_rng_unit(cs_rng *r);

/* Uniform in [lo, hi). */
double cs_rng_range(cs_rng *r, double lo, double hi);

/* In [lo, hi), mostly near the middle (triangular: the mean of two uniforms). */
double cs_rng_mid(cs_rng *r, double lo, double hi);

/* Uniform integer in 0..n-1 (n >= 1). */
int cs_rng_int(cs_rng *r, int n);

/* Standard normal (Box–Muller). */
double cs_rng_gauss(cs_rng *r);

#endif
