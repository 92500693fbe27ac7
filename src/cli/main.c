/*
 * main.c — the hxe command: dispatch to one cmd_* per subcommand.
 *
 * Exit codes everywhere: 0 success / valid input, 1 the input had errors,
 * 2 usage errors (bad arguments, unreadable files).
 */
#include "cli/cli.h"

#include <signal.h>
#include <string.h>

/* One entry per src/cli/cmd_NAME.c, listed by CMake in cli_commands.h */
#define HXE_CMD(name) {#name, hxe_cmd_##name, hxe_cmd_##name##_desc},
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *desc;
} commands[] = {
#include "cli_commands.h"
};
#undef HXE_CMD

static void usage(FILE *f)
{
    fprintf(f, "usage: hxe COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].desc);
    fprintf(f, "  %-8s %s\n", "version", "print the version");
    fprintf(f, "\nRun 'hxe COMMAND --help' for a command's usage.\n");
}

int main(int argc, char **argv)
{
    /* a peer that goes away must be an error on that connection, not the
     * end of the process */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return HXE_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("hxe %s\n", HXE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "hxe: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return HXE_EXIT_USAGE;
}
