/*
 * main.c — the rnnsweep program: subcommand dispatch.
 *
 * Exit statuses: 0 success, 1 internal failure, 2 bad input (config, data
 * file, command line).  Each subcommand prints its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "cluster/commands.h"
#include "worker/version.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command *find_command(const char *name);

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep <command> [options]\n"
        "       rnnsweep --version | --help\n\ncommands:\n");
    for (const command *c = find_command(NULL); c && c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\n'rnnsweep <command> --help' describes each command.\n");
}

static const command COMMANDS[] = {
    { "run", cmd_run, "run a sweep (under mpirun/srun: rank 0 coordinates, the others work)" },
    { "plan", cmd_plan, "load the data and print models, folds, strategies, tasks, cost and memory" },
    { "show", cmd_show, "leaderboard and group-by comparison of a results file" },
    { "report", cmd_report, "show, or with --html OUT.html one self-contained page of plots" },
    { "merge", cmd_merge, "combine results files of one plan (shards) into one" },
    { "check", cmd_check, "validate a sweep config and its data paths, print the plan" },
    { "inspect", cmd_inspect, "load price files as a sweep would, validate and describe them" },
    { "demo", cmd_demo, "train one model on a built-in series and print its learning curve" },
    { NULL, NULL, NULL }
};

static const command *find_command(const char *name) {
    if (!name) return COMMANDS;
    for (const command *c = COMMANDS; c->name; c++)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) { printf("rnnsweep %s\n", RS_VERSION); return 0; }
    const command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "rnnsweep: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    return c->fn(argc - 1, argv + 1);
}
