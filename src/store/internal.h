/*
 * internal.h — what the store's files share and nobody else sees: the
 * argument checks every backend relies on (done once, in store.c, before
 * dispatch) and the SQLite backend's entry point.
 */
#ifndef HXE_STORE_INTERNAL_H
#define HXE_STORE_INTERNAL_H

#include "store/store.h"

/* A required name (tenant, channel, destination, event kind): 1..max_name
 * bytes, valid UTF-8, no control characters. `what` names it in the error. */
int hxe__store_check_name(const hxe_store *s, const char *what, const char *v, hxe_err *err);
/* An optional value from a message (sender, control id, type): NULL or at
 * most max_name bytes. */
int hxe__store_check_opt(const hxe_store *s, const char *what, const char *v, hxe_err *err);
/* How many bytes of text to keep: at most max_text, cut at a UTF-8
 * boundary. NULL counts as empty. */
size_t hxe__store_text_len(const hxe_store *s, const char *text);
/* Checks a message to store (msg_add and the writer's submit). */
int hxe__store_check_msg(const hxe_store *s, const hxe_store_msg_in *in, hxe_err *err);
/* The clock when now is 0. */
int64_t hxe__store_now(int64_t now);

/* The SQLite backend (sqlite.c). */
int hxe__sq_open(hxe_store **out, const char *path, const hxe_store_opts *opts, hxe_err *err);
int hxe__sq_schema_version(const char *path, int *version, hxe_err *err);

#endif
