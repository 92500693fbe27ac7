/*
 * test_run_tls.c — MLLP sources over TLS and mutual TLS, with
 * certificates made here at run time (a CA, a server certificate for
 * 127.0.0.1, a client certificate, and one from a CA nobody trusts).
 * The client is `hxe send mllps://...`: a trusted client gets its AA and
 * the message is delivered; a client without a certificate, or with the
 * stranger's, gets nothing on the mutual-TLS channel; plain MLLP to a TLS
 * port gets no answer.
 */
#include "helpers/run_testutil.h"
#include "helpers/testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char msg[] =
    "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB|GOOD HEALTH HOSPITAL|20240115093000||ADT^A01^ADT_A01|T1|P|2.5.1\r"
    "EVN|A01|20240115093000\r"
    "PID|1||PATID1234^^^GOOD HEALTH HOSPITAL^MR||EVERYMAN^ADAM^A||19610615|M\r"
    "PV1|1|I|2000^2012^01\r";

static char dir[64];

static int hxe_send(int port, const char *cert, const char *key)
{
    char auth[512] = "", cmd[2048];
    if (cert)
        snprintf(auth, sizeof auth, "--cert %s/%s --key %s/%s", dir, cert, dir, key);
    snprintf(cmd, sizeof cmd,
             "'%s' send --quiet --timeout 5000 --ca %s/ca.pem %s mllps://127.0.0.1:%d %s/msg.hl7 "
             ">/dev/null 2>&1",
             getenv("HXE_BIN"), dir, auth, port, dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void tls_and_mutual_tls(void **state)
{
    (void)state;
    assert_int_equal(tu_tmpdir(dir), 0);
    assert_int_equal(rt_make_certs(dir), 0);
    char logpath[128], cfgf[128], mf[128], cfg[4096], out[128];
    snprintf(logpath, sizeof logpath, "%s/serve.log", dir);
    snprintf(cfgf, sizeof cfgf, "%s/hxe.yaml", dir);
    snprintf(mf, sizeof mf, "%s/msg.hl7", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(rt_write_file(mf, msg), 0);
    int p_tls = rt_free_port(), p_mtls = rt_free_port();
    snprintf(cfg, sizeof cfg,
             "version: 1\n"
             "store: {path: %s/var/hxe.db}\n"
             "tenants: [{name: t1}]\n"
             "channels:\n"
             "  - name: tls\n"
             "    tenant: t1\n"
             "    duplicate_window: 0\n"
             "    source:\n"
             "      type: mllp\n"
             "      host: 127.0.0.1\n"
             "      port: %d\n"
             "      tls: {cert: %s/server.pem, key: %s/server.key}\n"
             "    destinations:\n"
             "      - {name: files, type: file, path: %s, filename: \"tls-{id}.hl7\"}\n"
             "  - name: mtls\n"
             "    tenant: t1\n"
             "    duplicate_window: 0\n"
             "    source:\n"
             "      type: mllp\n"
             "      host: 127.0.0.1\n"
             "      port: %d\n"
             "      tls: {cert: %s/server.pem, key: %s/server.key, ca: %s/ca.pem, require_client_cert: true}\n"
             "    destinations:\n"
             "      - {name: files, type: file, path: %s, filename: \"mtls-{id}.hl7\"}\n",
             dir, p_tls, dir, dir, out, p_mtls, dir, dir, dir, out);
    assert_int_equal(rt_write_file(cfgf, cfg), 0);
    pid_t pid = rt_serve_start(cfgf, dir, logpath);
    assert_int_equal(rt_wait_port(p_tls, 10000), 0);
    assert_int_equal(rt_wait_port(p_mtls, 2000), 0);

    assert_int_equal(hxe_send(p_tls, NULL, NULL), 0);
    assert_int_equal(hxe_send(p_mtls, "client.pem", "client.key"), 0);
    assert_int_not_equal(hxe_send(p_mtls, NULL, NULL), 0);
    assert_int_not_equal(hxe_send(p_mtls, "stranger.pem", "stranger.key"), 0);
    /* plain MLLP on a TLS port: no ACK */
    char code[3];
    rt_exchange(p_tls, msg, code);
    assert_string_equal(code, "");

    uint64_t end = rt_now_ms() + 10000;
    while (rt_count_files(out) < 2 && rt_now_ms() < end)
        rt_sleep_ms(20);
    rt_sleep_ms(200);
    assert_int_equal(rt_count_files(out), 2);
    assert_int_equal(rt_serve_stop(pid, SIGTERM, 15000), 0);
    assert_true(rt_file_has(logpath, "\"tls\":\"mutual\""));
    /* each listener counted its refused handshakes */
    assert_int_equal(rt_file_count(logpath, "\"tls_failures\":0,"), 0);
    rt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_and_mutual_tls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
