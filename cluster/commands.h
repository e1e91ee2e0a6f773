/*
 * commands.h — the subcommands of the rnnsweep program.  Each takes the
 * arguments after the program name (argv[0] is the command's name) and
 * returns the process exit status: 0 success, 1 internal failure, 2 bad
 * input (config, data file, command line) with one message on stderr.
 */
#ifndef RS_COMMANDS_H
#define RS_COMMANDS_H

int cmd_demo(int argc, char **argv);   /* train one model on a built-in series */
int cmd_check(int argc, char **argv);  /* validate a config, print its plan    */
int cmd_inspect(int argc, char **argv);/* load and describe price files        */
int cmd_run(int argc, char **argv);    /* run a sweep (MPI)                    */
int cmd_plan(int argc, char **argv);   /* load data, print folds and tasks     */
int cmd_show(int argc, char **argv);   /* leaderboard of a results file        */
int cmd_report(int argc, char **argv); /* show, or the HTML report (--html)    */
int cmd_merge(int argc, char **argv);  /* combine shard results files          */

/* `rnnsweep merge`'s work without its lock or its check that OUT is new:
 * results files in[0..n_in) of one plan into OUT (later inputs win a
 * duplicate key).  Messages go to stderr; `quiet` drops the summary line
 * on stdout.  Returns an exit status: 0, 1 (internal) or 2 (bad input). */
int merge_files(const char *out, const char *const *in, int n_in, int quiet);

#endif
