/* cli.h — small helpers shared by the subcommands: option values, progress lines. */
#ifndef XCAP_DEMO_CLI_H
#define XCAP_DEMO_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "nn/error.h"

/* Parses value as an integer in [min, max]; on failure prints
 * "xcap CMD: OPTION expects an integer in [min, max], got 'value'" and returns -1. */
int cli_long(const char *cmd, const char *option, const char *value, long min, long max, long *out);
/* The same for a float in [min, max]. */
int cli_float(const char *cmd, const char *option, const char *value, float min, float max,
              float *out);
/* The same for a 64-bit unsigned seed. */
int cli_u64(const char *cmd, const char *option, const char *value, uint64_t *out);

/* Prints "xcap CMD: message (see --help)" on stderr and returns 2, the bad-usage exit code. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads the option at argv[*i] of subcommand cmd: "--name value" or "--name=value" with name
 * one of the n names in with_value (name is copied into name[32], *value points at the value,
 * *i moves past what was read), or -h / --help. Returns 1 for an option, 0 for help, 2 after
 * a bad-usage message (unknown option, missing or empty value). */
int cli_option(char name[32], const char **value, const char *cmd, int argc, char **argv, int *i,
               const char *const *with_value, size_t n);

/* Prints a cJSON tree (and frees it) to path atomically (temporary file + rename), or to
 * stdout when path is "-". */
struct cJSON;
int cli_write_json(const char *path, struct cJSON *node, nn_error *err);

/* The folder part of path into out[cap]: "." when it has none, "/" for a file in the root. */
void cli_dir_of(char *out, size_t cap, const char *path);

/* 1 when name ends in an image extension xcap reads (png, jpg, jpeg, bmp, tga, gif; any
 * case): how a folder given to `caption` or `eval --outside` is read. */
int cli_is_image_name(const char *name);

/* qsort order of two C strings (an array of char *), for listing a folder by name. */
int cli_cmp_str(const void *a, const void *b);

/* Seconds since an arbitrary start (monotonic). */
double cli_now(void);

/* A progress line on stderr: "label done/total  rate unit/s  ETA m:ss  extra", redrawn in
 * place with \r when stderr is a terminal. */
typedef struct {
    const char *label, *unit;
    long total;
    double start;
    int tty;
    int shown;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, const char *unit, long total);
void cli_progress_show(cli_progress *p, long done, const char *extra);
/* Ends the line (a newline after the last \r redraw). */
void cli_progress_end(cli_progress *p);

#endif
