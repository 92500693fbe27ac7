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

int hxe_cmd_hl7(int argc, char **argv);

#endif
