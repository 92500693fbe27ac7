/*
 * cli.h — what the subcommands of the hxe command share.
 */
#ifndef HXE_CLI_H
#define HXE_CLI_H

#include "base/base.h"

#define HXE_VERSION "0.1.0"

enum {
    HXE_EXIT_OK = 0,
    HXE_EXIT_INVALID = 1,
    HXE_EXIT_USAGE = 2
};

/* Every src/cli/cmd_NAME.c defines these two (CMake lists the files) */
#define HXE_CMD(name)                                 \
    int hxe_cmd_##name(int argc, char **argv);       \
    extern const char hxe_cmd_##name##_desc[];
#include "cli_commands.h"
#undef HXE_CMD

#endif
