/* main.c — the xcap program: dispatches to a subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo/commands.h"
#include "nn/blas_core.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"caption", cmd_caption, "caption images and write per-word attention overlays"},
    {"train", cmd_train, "train a captioner on the shapes world"},
    {"scenes", cmd_scenes, "write shapes-world scenes (PNGs + captions.json)"},
    {"eval", cmd_eval, "score a model's captions: exact match, BLEU-4, CIDEr-D"},
    {"align", cmd_align, "measure whether each word's attention points at its object"},
    {"bench", cmd_bench, "measure training and captioning speed, GFLOP/s and the sgemm ceiling"},
};

/* Prints the list of subcommands to f. */
static void usage(FILE *f) {
    fprintf(f, "usage: xcap <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\n'xcap <command> --help' shows the options of a command.\n");
}

/* When OpenBLAS runs slower kernels than this processor supports (it was built before the
 * processor model existed), starts this program again with OPENBLAS_CORETYPE set to the
 * fast ones (see nn/blas_core.h). Returns only when there is nothing to do or exec failed;
 * the set variable stops a second restart either way. */
static void restart_with_fast_blas(char **argv) {
    const char *core = nn_blas_core_upgrade();
    if (!core || setenv("OPENBLAS_CORETYPE", core, 1) != 0) return;
    /* the program's real path rather than /proc/self/exe, so that profilers name it */
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return;
    self[len] = '\0';
    execv(self, argv);
}

int main(int argc, char **argv) {
    restart_with_fast_blas(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("xcap %s\nOpenBLAS kernels: %s\n", XCAP_VERSION, nn_blas_core());
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0) {
            int rc = COMMANDS[i].run(argc - 1, argv + 1);
            /* captions printed to a full disk are lost: say so instead of exiting 0 */
            if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
                fprintf(stderr, "xcap %s: stdout: a write failed (is the disk full?)\n", argv[1]);
                rc = 1;
            }
            return rc;
        }
    fprintf(stderr, "xcap: unknown command '%s' (try 'xcap --help')\n", argv[1]);
    return 2;
}
