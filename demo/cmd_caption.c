/* cmd_caption.c — `xcap caption`: placeholder until the caption command lands. */
#include <stdio.h>

#include "demo/commands.h"

int cmd_caption(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "xcap caption: not built yet\n");
    return 1;
}
