/* fast_exp.h — e^x in single precision, written so that the compiler vectorises loops that
 * call it (libm's expf is one scalar call per value).
 *
 * Cody–Waite reduction x = n·ln2 + r, |r| <= ln2/2, a degree-7 polynomial for e^r
 * (Cephes' expf coefficients) and 2^n put into the exponent bits. Relative error below
 * 2e-7 (about 2 ulp) for x in [-87.3, 88.3]; e^x is 0 below -87.3 (and for -INFINITY),
 * inputs above 88.3 give e^88.3 (3.5e38 is near FLT_MAX; callers divide by 1 + e^x or
 * normalise, so this saturates as +inf would); NaN stays NaN. Tests: tests/test_fast_exp.c. */
#ifndef XCAP_NN_FAST_EXP_H
#define XCAP_NN_FAST_EXP_H

#include <stdint.h>
#include <string.h>

/* c ? a : b through bit masks: a branch-free select that GCC vectorises (a float ?: does
 * not vectorise while floating-point traps are honoured). */
static inline float nn_fast_select(int c, float a, float b) {
    int32_t m = -(int32_t)(c != 0), ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    int32_t r = (ia & m) | (ib & ~m);
    float f;
    memcpy(&f, &r, sizeof f);
    return f;
}

/* e^x as described above. */
static inline float nn_fast_exp(float x) {
    const float lo = -87.3f, hi = 88.3f;
    float xc = nn_fast_select(x > hi, hi, x);
    xc = nn_fast_select(xc < lo, lo, xc);
    /* n = round(x / ln2) with the 1.5·2^23 trick (round to nearest, no rintf call) */
    const float shifter = 12582912.0f;
    float t = xc * 1.44269504088896341f + shifter;
    float n = t - shifter;
    float r = xc - n * 0.693359375f;     /* ln2, high part (exact in float) */
    r = r - n * -2.12194440e-4f;         /* ln2, low part */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    /* t's bits minus the shifter's are n as an integer; unsigned, so that a NaN's garbage
     * wraps instead of overflowing */
    uint32_t ti;
    memcpy(&ti, &t, sizeof ti);
    uint32_t bits = (ti - 0x4b400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float y = p * scale;
    return nn_fast_select(x < lo, 0.0f, y);
}

#endif
