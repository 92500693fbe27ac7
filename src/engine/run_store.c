/*
 * run_store.c — the runtime's store thread: claims, marks and the
 * processing stage run here, on a connection of their own, so the event
 * loop never waits for SQLite.
 *
 * Why a thread: SQLite calls block, and a write transaction waits while
 * the group-commit writer holds the lock through its fsync (milliseconds,
 * and SQLite's busy handler sleeps in steps of up to 100 ms). Done on the
 * loop, every claim and mark delayed every ACK behind it. Here the loop
 * only queues a job (a struct the caller owns, with work() run on this
 * thread and after() back on the loop) and goes on.
 *
 * Jobs run one at a time in the order queued (one connection, one
 * thread). The loop's only direct store use left is reading (a WAL read
 * never waits for the writer): the channel destination's lookup of a copy
 * it may have made before a crash.
 */
#include "engine/run_int.h"

#include <string.h>

static void *store_main(void *arg)
{
    hxe_run *r = arg;
    pthread_mutex_lock(&r->smu);
    for (;;) {
        while (!r->jhead && !r->sstop)
            pthread_cond_wait(&r->scv, &r->smu);
        if (!r->jhead && r->sstop)
            break;
        run_job *j = r->jhead;
        r->jhead = j->next;
        if (!r->jhead)
            r->jtail = NULL;
        pthread_mutex_unlock(&r->smu);
        j->work(j);
        pthread_mutex_lock(&r->smu);
        j->next = NULL;
        if (r->dtail)
            r->dtail->next = j;
        else
            r->dhead = j;
        r->dtail = j;
        uv_async_send(&r->jwake);
    }
    pthread_mutex_unlock(&r->smu);
    return NULL;
}

static void jwake_cb(uv_async_t *h)
{
    hxe_run *r = h->data;
    pthread_mutex_lock(&r->smu);
    run_job *j = r->dhead;
    r->dhead = r->dtail = NULL;
    pthread_mutex_unlock(&r->smu);
    while (j) {
        run_job *next = j->next;
        r->jobs--;
        j->after(j);
        j = next;
    }
    hxe__run_maybe_finish(r);
}

int hxe__run_store_start(hxe_run *r, hxe_err *err)
{
    pthread_mutex_init(&r->smu, NULL);
    pthread_cond_init(&r->scv, NULL);
    uv_async_init(&r->loop, &r->jwake, jwake_cb);
    r->jwake.data = r;
    r->sready = 1;
    if (pthread_create(&r->sthread, NULL, store_main, r) != 0)
        return hxe_err_set(err, HXE_EERROR, "cannot start the store thread");
    r->sstarted = 1;
    return 0;
}

void hxe__run_job(hxe_run *r, run_job *j)
{
    r->jobs++;
    j->next = NULL;
    pthread_mutex_lock(&r->smu);
    if (r->jtail)
        r->jtail->next = j;
    else
        r->jhead = j;
    r->jtail = j;
    pthread_cond_signal(&r->scv);
    pthread_mutex_unlock(&r->smu);
}

void hxe__run_store_stop(hxe_run *r)
{
    if (!r->sready)
        return;
    if (r->sstarted) {
        pthread_mutex_lock(&r->smu);
        r->sstop = 1;
        pthread_cond_signal(&r->scv);
        pthread_mutex_unlock(&r->smu);
        pthread_join(r->sthread, NULL);
        r->sstarted = 0;
    }
}

void hxe__run_store_close(hxe_run *r)
{
    if (!r->sready || r->sclosed)
        return;
    r->sclosed = 1;
    uv_close((uv_handle_t *)&r->jwake, NULL);
}

void hxe__run_store_free(hxe_run *r)
{
    if (!r->sready)
        return;
    pthread_cond_destroy(&r->scv);
    pthread_mutex_destroy(&r->smu);
    r->sready = 0;
}
