/* commands.h — the subcommands of the xcap program. Each takes the arguments after
 * its name (argv[0] is the subcommand) and returns the process exit code:
 * 0 success, 1 failure (one line on stderr), 2 bad usage. */
#ifndef XCAP_DEMO_COMMANDS_H
#define XCAP_DEMO_COMMANDS_H

int cmd_caption(int argc, char **argv);
int cmd_scenes(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_align(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
