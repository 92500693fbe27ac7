/*
 * cmd_serve.c — `hxe serve CONFIG [--check]`: runs the channels of a
 * configuration (src/engine/run_*.c) until SIGTERM or SIGINT, then shuts
 * down gracefully and logs each channel's counters. --check loads and
 * checks the configuration (YAML, references, rules, Lua syntax) and
 * exits.
 */
#include "cli/cli.h"
#include "engine/engine.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>
#include <stdlib.h>
#include <string.h>

const char hxe_cmd_serve_desc[] = "run the channels of a configuration (MLLP in, store, deliver)";

static const char usage_text[] =
    "usage: hxe serve CONFIG [--check]\n"
    "Runs the channels of CONFIG (YAML, see docs/channels.md and docs/engine.md):\n"
    "receives HL7 v2 over MLLP, stores each message durably, acknowledges it,\n"
    "filters, transforms and delivers it. SIGTERM or SIGINT stop it gracefully.\n"
    "Logs are JSON lines on standard error.\n"
    "  --check            only load and check the configuration\n"
    "  --shutdown-ms MS   longest graceful stop (default 10000)\n"
    "Exit 0 after a clean stop (or a valid configuration with --check), 1 when\n"
    "the configuration is invalid or the engine cannot start, 2 for usage errors.\n";

static hxe_run *volatile the_run;
static volatile sig_atomic_t stop_early;

static void on_signal(int sig)
{
    (void)sig;
    hxe_run *r = the_run;
    if (r)
        hxe_run_stop(r);
    else
        stop_early = 1;
}

int hxe_cmd_serve(int argc, char **argv)
{
#if defined(__GLIBC__)
    /* the store's threads free and allocate in bursts; trimming the heap
     * back to the kernel after every batch cost more than the work */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
    const char *path = NULL;
    int check = 0;
    hxe_run_opts ro;
    hxe_run_opts_init(&ro);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return HXE_EXIT_OK;
        } else if (strcmp(argv[i], "--check") == 0) {
            check = 1;
        } else if (strcmp(argv[i], "--shutdown-ms") == 0 && i + 1 < argc) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end || v == 0 || v > 3600000ULL) {
                fprintf(stderr, "hxe serve: --shutdown-ms wants 1..3600000\n");
                return HXE_EXIT_USAGE;
            }
            ro.shutdown_ms = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "hxe serve: unknown option %s\n%s", argv[i], usage_text);
            return HXE_EXIT_USAGE;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "hxe serve: one configuration file only\n%s", usage_text);
            return HXE_EXIT_USAGE;
        }
    }
    if (!path) {
        fputs(usage_text, stderr);
        return HXE_EXIT_USAGE;
    }
    hxe_err err = {0};
    hxe_config *cfg = NULL;
    if (hxe_config_load(&cfg, path, NULL, &err)) {
        fprintf(stderr, "hxe serve: %s\n", err.msg);
        return HXE_EXIT_INVALID;
    }
    if (check) {
        size_t enabled = 0;
        for (size_t i = 0; i < cfg->nchannels; i++)
            enabled += cfg->channels[i].enabled != 0;
        printf("%s: ok (%zu tenants, %zu channels, %zu enabled)\n", path, cfg->ntenants,
               cfg->nchannels, enabled);
        hxe_config_free(cfg);
        return HXE_EXIT_OK;
    }
    hxe_log_set_level(cfg->log_level);

    /* signals only ask for the stop; the loop does the work */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    hxe_run *r = NULL;
    if (hxe_run_new(&r, cfg, &ro, &err)) {
        fprintf(stderr, "hxe serve: %s\n", err.msg);
        hxe_config_free(cfg);
        return HXE_EXIT_INVALID;
    }
    the_run = r;
    if (stop_early)
        hxe_run_stop(r);
    hxe_log(HXE_LOG_INFO, "ready", HXE_LF_STR("config", path),
            HXE_LF_INT("channels", hxe_run_channel_count(r)));
    int rc = hxe_run_loop(r, &err);
    /* no signal may reach the runtime while it is freed */
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, NULL);
    the_run = NULL;
    hxe_run_log_stats(r);
    hxe_run_free(r);
    hxe_log(HXE_LOG_INFO, "stopped", HXE_LF_STR("config", path));
    hxe_config_free(cfg);
    return rc ? HXE_EXIT_INVALID : HXE_EXIT_OK;
}
