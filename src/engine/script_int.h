/*
 * script_int.h — the script object shared by script.c (state, sandbox,
 * limits, runs) and script_msg.c (the `msg` object scripts see).
 */
#ifndef HXE_ENGINE_SCRIPT_INT_H
#define HXE_ENGINE_SCRIPT_INT_H

#include "engine.h"

#include <lauxlib.h>
#include <lua.h>

#define HXE_MSG_META "hxe.msg"

struct hxe_script {
    lua_State *L;
    char name[128];
    int kind;                /* enum hxe_script_kind */
    hxe_script_limits lim;
    /* memory */
    size_t mem_used;         /* bytes Lua holds now */
    size_t edit_charge;      /* bytes msg:set/delete made the message grow (this run) */
    /* the run */
    uint64_t gen;            /* run number; a msg object works only in its own run */
    hxe_hl7_msg *cur;
    uint64_t budget_used;
    int killed;              /* 0, HXE_SCRIPT_BUDGET or HXE_SCRIPT_MEMORY */
    int status;              /* enum hxe_script_status of the last run */
    int err_line;            /* script line of the last error, 0 = unknown */
    char err_text[160];      /* Lua's text, kept only with verbose_errors */
    hxe_buf scratch;         /* values on their way into Lua (never leaks on a Lua error) */
    /* registry references */
    int chunk_ref, meta_ref;
    hxe_script_log_fn log_fn;
    void *log_data;
};

static inline hxe_script *hxe__script_of(lua_State *L)
{
    return *(hxe_script **)lua_getextraspace(L);
}

/* Registers the msg metatable (script_msg.c); call in protected mode. */
void hxe__script_msg_open(lua_State *L);
/* Pushes a new msg object bound to the current run. */
void hxe__script_msg_push(lua_State *L, hxe_script *s);
/* Charges bytes against the memory cap; raises a memory error past it. */
void hxe__script_charge(lua_State *L, hxe_script *s, size_t bytes);

#endif
