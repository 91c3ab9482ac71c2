/* stb_image_fuzz.c — compiles the decoder of Debian's stb_image.h (libstb-dev, the same
 * source libstb.so is built from) into the image fuzz target, so that the sanitizers and
 * the fuzzer's coverage see inside it. Only fuzz_image links this file; xcap itself uses
 * libstb.so. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
