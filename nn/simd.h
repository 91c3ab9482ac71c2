/* simd.h — vectorising the elementwise kernels. NN_VECTOR_CLONES before an elementwise kernel compiles it for AVX-512, AVX2 and
 * baseline x86-64, and the loader picks the best the processor has (GCC function
 * multi-versioning; elsewhere the macro is empty). Every version computes the same bits:
 * in C11 mode the compiler contracts no a*b+c into an FMA, the loops are elementwise, and
 * every reduction fixes its order of additions (nn/reduce.h). */
#ifndef XCAP_NN_SIMD_H
#define XCAP_NN_SIMD_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__)  /* ThreadSanitizer crashes in the loader's ifunc resolvers */
#define NN_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NN_VECTOR_CLONES
#endif

#endif
