/* rng.c — PCG32 (O'Neill's permuted congruential generator) and helpers. */
#include "nn/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void nn_rng_seed(nn_rng *r, uint64_t seed) {
    r->state = 0;
    r->inc = (splitmix64(seed ^ 0xDA3E39CB94B95BDBull) << 1) | 1u;
    nn_rng_u32(r);
    r->state += splitmix64(seed);
    nn_rng_u32(r);
}

uint32_t nn_rng_u32(nn_rng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ull + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

float nn_rng_uniform(nn_rng *r) {
    return (float)(nn_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

float nn_rng_normal(nn_rng *r) {
    float u1 = nn_rng_uniform(r), u2 = nn_rng_uniform(r);
    if (u1 < 1e-12f) u1 = 1e-12f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853071795864f * u2);
}

uint32_t nn_rng_below(nn_rng *r, uint32_t n) {
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = nn_rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

uint64_t nn_seed_mix(uint64_t a, uint64_t b) {
    return splitmix64(splitmix64(a) ^ (b + 0x632BE59BD9B4E019ull));
}
