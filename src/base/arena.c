/*
 * arena.c — bump allocator for per-message work.
 *
 * A parse tree, its issues' scratch and every rewritten segment come from
 * one arena that the caller frees (or resets) when the message is done.
 * Blocks are chained; an allocation larger than the block size gets a
 * block of its own. `max` bounds what one input can make us allocate.
 */
#include "base/base.h"

#include <string.h>

struct hxe_arena_block {
    hxe_arena_block *next;
    size_t size;    /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void hxe_arena_init(hxe_arena *a, size_t block_size, size_t max)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used = 0;
    a->max = max;
}

void *hxe_arena_alloc(hxe_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n == 0)
        n = 8;
    if (a->max && (n > a->max || a->used > a->max - n))
        return NULL;
    hxe_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > a->block_size ? n : a->block_size;
        if (size > SIZE_MAX - sizeof *b)
            return NULL;
        hxe_arena_block *nb = hxe_malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->size = size;
        nb->used = 0;
        if (b && size > a->block_size) {
            /* a big one-off: keep the current block as the head */
            nb->next = b->next;
            b->next = nb;
            nb->used = n;
            a->used += n;
            return nb->data;
        }
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used += n;
    return p;
}

void *hxe_arena_calloc(hxe_arena *a, size_t n)
{
    void *p = hxe_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *hxe_arena_strndup(hxe_arena *a, const char *s, size_t n)
{
    char *p = hxe_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void hxe_arena_reset(hxe_arena *a)
{
    hxe_arena_block *keep = NULL;
    hxe_arena_block *b = a->head;
    while (b) {
        hxe_arena_block *next = b->next;
        if (!keep && b->size == a->block_size) {
            keep = b;
            keep->used = 0;
            keep->next = NULL;
        } else {
            hxe_free(b);
        }
        b = next;
    }
    a->head = keep;
    a->used = 0;
}

void hxe_arena_free(hxe_arena *a)
{
    if (!a)
        return;
    hxe_arena_block *b = a->head;
    while (b) {
        hxe_arena_block *next = b->next;
        hxe_free(b);
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}
