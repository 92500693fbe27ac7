/*
 * config_fuzzer.c — libFuzzer target for the configuration parser (YAML,
 * ${ENV} interpolation, the schema, cross references) and, through the
 * same bytes, for the rule and action compilers: the input is parsed as
 * a configuration, then its first line as a rule, then as an action; a
 * rule that compiles is evaluated on a small message.
 *
 * Script files are refused (no file access) and Lua is only compiled,
 * never run. Built by `make fuzz`; replayed over fuzz/corpus/config_fuzzer
 * and fuzz/regressions/config_fuzzer by `make test`.
 */
#include "engine/engine.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *env(void *d, const char *name)
{
    (void)d;
    return strcmp(name, "SET") == 0 ? "1" : NULL;
}

static const char MSG[] = "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|X|P|2.5.1\r"
                          "PID|1||123^^^H~456||DOE^JANE||19800101|F\r"
                          "OBX|1|NM|GLU||5.5\rOBX|2|ST|N||a \\T\\ b\r";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    hxe_config_opts o;
    memset(&o, 0, sizeof o);
    o.getenv_fn = env;
    o.no_files = 1;
    hxe_config *c = NULL;
    hxe_err err = {0};
    if (hxe_config_parse(&c, text, size, &o, &err) == 0) {
        for (size_t i = 0; i < c->nchannels; i++) {
            const hxe_channel_conf *ch = &c->channels[i];
            (void)hxe_config_accepts(ch, "ADT^A01", 7);
            if (hxe_config_channel(c, ch->tenant, ch->name) != ch)
                __builtin_trap();
        }
        hxe_config_free(c);
    }

    size_t line = 0;
    while (line < size && data[line] != '\n')
        line++;
    hxe_arena a;
    hxe_arena_init(&a, 4096, 1u << 20);
    hxe_hl7_msg *m = NULL;
    (void)hxe_hl7_parse(&m, &a, MSG, sizeof MSG - 1, NULL, NULL, NULL);
    hxe_rule *r = NULL;
    if (hxe_rule_compile(&r, text, line, NULL, &err) == 0) {
        int out;
        if (m)
            (void)hxe_rule_eval(r, m, &out, &err);
        hxe_rule_free(r);
    }
    hxe_xform *x = NULL;
    if (hxe_xform_new(&x) == 0) {
        if (hxe_xform_add(x, text, line, NULL, &err) == 0 && m)
            (void)hxe_xform_apply(x, m, &err);
        hxe_xform_free(x);
    }
    hxe_arena_free(&a);
    return 0;
}
