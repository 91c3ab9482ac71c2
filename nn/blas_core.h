/* blas_core.h — which OpenBLAS kernels this process runs, and a better set when OpenBLAS
 * does not know the processor.
 *
 * OpenBLAS picks its kernels by processor model when it is loaded. A model newer than the
 * OpenBLAS build (Debian 12's 0.3.21 does not know e.g. Emerald Rapids, model 207) falls
 * back to "Prescott" kernels (SSE3), about 5x slower than the AVX-512 ones on xcap's
 * products. The choice can only be changed by OPENBLAS_CORETYPE before OpenBLAS is
 * loaded, so a program that wants the fast kernels sets it and starts itself again
 * (xcap's main does; a library user sets the variable before starting the program).
 * The strings returned are static; nobody frees them. */
#ifndef XCAP_NN_BLAS_CORE_H
#define XCAP_NN_BLAS_CORE_H

/* The kernel set OpenBLAS chose, e.g. "SkylakeX", "Haswell", "Prescott". */
const char *nn_blas_core(void);

/* The OPENBLAS_CORETYPE value that would give faster kernels than the ones running
 * ("SkylakeX" on a processor with AVX-512, "Haswell" with AVX2 and FMA), or NULL when
 * the running kernels already use what the processor has, or when OPENBLAS_CORETYPE is
 * already set (the user's choice is kept). */
const char *nn_blas_core_upgrade(void);

#endif
