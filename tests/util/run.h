/* run.h — runs a program the way the CLI tests need: fork + exec with stdin from /dev/null
 * and stdout / stderr captured (through temp files under /tmp, so the folder under test is
 * untouched), optionally from another folder, with stdout sent to a file, or under an
 * RLIMIT_FSIZE so that writes fail as on a full disk. */
#ifndef XCAP_TESTS_RUN_H
#define XCAP_TESTS_RUN_H

#include <stddef.h>

/* How to run; all zero (or NULL opts) runs in the current folder with both outputs captured. */
typedef struct {
    const char *dir;       /* chdir here before exec (NULL: stay) */
    const char *stdout_to; /* open this for writing as stdout instead of capturing it */
    long fsize;            /* RLIMIT_FSIZE in bytes, SIGXFSZ ignored (0: no limit) */
} run_opts;

/* What one run did. */
typedef struct {
    int code;        /* exit code; -1 when killed by a signal */
    char *out, *err; /* everything it printed, NUL-terminated (out "" with stdout_to) */
} run_result;

/* Runs argv (argv[0] a path, NULL-terminated) as opts says; fails the test when it cannot
 * start it. Free the result with run_free. */
run_result run_argv(char *const argv[], const run_opts *opts);
void run_free(run_result *r);

/* Runs `$XCAP_BINARY CMD [--model MODEL] ARGS...` (args NULL-terminated, model NULL for none)
 * with both outputs captured; fails the test when XCAP_BINARY is unset. */
run_result run_xcap(const char *cmd, const char *model, const char *const *args);

/* The whole file at path, NUL-terminated, its length in *len (len may be NULL); NULL when
 * it cannot be read. free() it. */
char *read_text(const char *path, size_t *len);

#endif
