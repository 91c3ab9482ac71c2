/* fuzz_util.c — the temporary file and string copies the fuzz targets share. */
#include "fuzz/fuzz_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char temp_path[512];

/* Removes the temporary file at exit. */
static void remove_temp(void) {
    if (temp_path[0]) unlink(temp_path);
}

/* Picks the folder for the temporary file: $TMPDIR, /dev/shm, or /tmp. */
static const char *temp_dir(void) {
    const char *d = getenv("TMPDIR");
    struct stat st;
    if (d && *d) return d;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return "/tmp";
}

const char *fuzz_temp_file(const uint8_t *data, size_t size, const char *ext) {
    if (!temp_path[0]) {
        snprintf(temp_path, sizeof temp_path, "%s/xcap-fuzz-%ld%s", temp_dir(), (long)getpid(),
                 ext ? ext : "");
        atexit(remove_temp);
    }
    int fd = open(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(temp_path); /* the harness, not the library: a broken setup must be loud */
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            perror(temp_path);
            abort();
        }
        done += (size_t)n;
    }
    close(fd);
    return temp_path;
}

char *fuzz_cstring(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
