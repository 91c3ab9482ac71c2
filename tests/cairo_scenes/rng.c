/* rng.c — splitmix64 and the few distributions the renderer draws from. */
#include "rng.h"

#include <math.h>

/* splitmix64's output function: a bijective scramble of x. */
static uint64_t scramble(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Scene seeds must not collide for nearby (seed, i), so both go through the scramble. */
uint64_t cs_mix(uint64_t a, uint64_t b) {
    return scramble(scramble(a + 0x9e3779b97f4a7c15ull) ^ (b * 0xd1b54a32d192ed03ull + 1));
}

cs_rng cs_rng_make(uint64_t seed) {
    cs_rng r = {seed};
    return r;
}

/* splitmix64: a Weyl sequence through the scramble. */
uint64_t cs_rng_next(cs_rng *r) {
    r->state += 0x9e3779b97f4a7c15ull;
    return scramble(r->state);
}

/* The top 53 bits as a double, so every value is exact. */
double cs_rng_unit(cs_rng *r) { return (double)(cs_rng_next(r) >> 11) * 0x1.0p-53; }

double cs_rng_range(cs_rng *r, double lo, double hi) { return lo + (hi - lo) * cs_rng_unit(r); }

/* The mean of two uniforms: how a person picks "a red" — mostly a middle red. */
double cs_rng_mid(cs_rng *r, double lo, double hi) {
    double t = 0.5 * (cs_rng_unit(r) + cs_rng_unit(r));
    return lo + (hi - lo) * t;
}

/* Multiply-shift: bias below 2^-32 for the tiny n used here. */
int cs_rng_int(cs_rng *r, int n) {
    return (int)(((cs_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Box–Muller with the first uniform kept away from 0. */
double cs_rng_gauss(cs_rng *r) {
    double u = 1.0 - cs_rng_unit(r), v = cs_rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
