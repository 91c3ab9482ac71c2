/* fuzz_util.h — what the libFuzzer targets under fuzz/ share.
 *
 * Readers that take a path get the fuzz input through one temporary file per
 * process (under $TMPDIR, /dev/shm when there is one, else /tmp); the file is
 * rewritten for every input and removed at exit. Nothing here is part of the
 * library. */
#ifndef XCAP_FUZZ_UTIL_H
#define XCAP_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Writes data to this process's temporary file and returns its path (static; the
 * same path every call). ext ("" or ".png", ...) is fixed by the first call. */
const char *fuzz_temp_file(const uint8_t *data, size_t size, const char *ext);

/* A malloc'd copy of data with a NUL after it (the caller frees). */
char *fuzz_cstring(const uint8_t *data, size_t size);

#endif
