/*
 * script_msg.c — the `msg` object a script sees: read, write, delete and
 * count by HL7 path, and the message type. A msg object belongs to one
 * run; kept past it (in a library table, say) it refuses to work, so a
 * script can never touch a message that is not the one being processed.
 *
 * Error texts raised here name the method and the problem, never a value
 * or a path (a path may be built from message content).
 */
#include "internal.h"
#include "script_int.h"

#include <string.h>

typedef struct msg_box {
    uint64_t gen;
} msg_box;

static hxe_hl7_msg *check_msg(lua_State *L, hxe_script **sp)
{
    msg_box *b = luaL_checkudata(L, 1, HXE_MSG_META);
    hxe_script *s = hxe__script_of(L);
    if (!s->cur || b->gen != s->gen)
        luaL_error(L, "msg used outside the run it belongs to");
    if (sp)
        *sp = s;
    return s->cur;
}

static void check_path(lua_State *L, const char *method, hxe_hl7_path *p)
{
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    if (hxe_hl7_path_parse(p, s, n, NULL))
        luaL_error(L, "msg:%s: argument 1 is not a valid HL7 path", method);
}

static int m_get(lua_State *L)
{
    hxe_script *s;
    hxe_hl7_msg *m = check_msg(L, &s);
    hxe_hl7_path p;
    check_path(L, "get", &p);
    hxe_buf_truncate(&s->scratch, 0);
    int rc = hxe_hl7_get_text(m, &p, &s->scratch);
    if (rc == HXE_ENOTFOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (rc == HXE_EINVAL) {
        lua_pushliteral(L, "");
        return 1;
    }
    if (rc)
        return luaL_error(L, "msg:get: cannot decode the value (%s)", hxe_strerror(rc));
    lua_pushlstring(L, s->scratch.p ? s->scratch.p : "", s->scratch.len);
    return 1;
}

static int m_raw(lua_State *L)
{
    hxe_hl7_msg *m = check_msg(L, NULL);
    hxe_hl7_path p;
    check_path(L, "raw", &p);
    hxe_slice v;
    int rc = hxe_hl7_get(m, &p, &v);
    if (rc == HXE_ENOTFOUND)
        lua_pushnil(L);
    else if (rc)
        lua_pushliteral(L, "");
    else
        lua_pushlstring(L, v.p, v.n);
    return 1;
}

/* Edits grow the message in its arena, outside Lua's heap: charge the
 * size of the segment touched to the run's memory cap, so a loop of edits
 * cannot grow the message without bound. */
static void charge_segment(lua_State *L, hxe_script *s, const hxe_hl7_msg *m, const hxe_hl7_path *p)
{
    long i = hxe_hl7_find(m, p->seg, p->seg_seq ? p->seg_seq : 1);
    hxe__script_charge(L, s, (i >= 0 ? m->segs[i].n : 0) + 64);
}

static int m_set(lua_State *L)
{
    hxe_script *s;
    hxe_hl7_msg *m = check_msg(L, &s);
    hxe_hl7_path p;
    check_path(L, "set", &p);
    size_t n = 0;
    const char *v = "";
    int t = lua_type(L, 3);
    if (t == LUA_TSTRING || t == LUA_TNUMBER)
        v = lua_tolstring(L, 3, &n);
    else if (t != LUA_TNIL && t != LUA_TNONE)
        return luaL_error(L, "msg:set: the value must be a string, a number or nil");
    if (p.field == 0)
        return luaL_error(L, "msg:set: the path must name a field (SEG-F)");
    int rc = hxe__ensure_segment(m, &p, NULL);
    if (rc == 0)
        rc = hxe_hl7_set(m, &p, v, n, HXE_HL7_SET_TEXT, NULL);
    if (rc)
        return luaL_error(L, "msg:set: cannot set the value (%s)", hxe_strerror(rc));
    charge_segment(L, s, m, &p);
    return 0;
}

static int m_delete(lua_State *L)
{
    hxe_script *s;
    hxe_hl7_msg *m = check_msg(L, &s);
    hxe_hl7_path p;
    check_path(L, "delete", &p);
    int rc = hxe_hl7_delete(m, &p, NULL);
    if (rc == HXE_ENOTFOUND) {
        lua_pushboolean(L, 0);
        return 1;
    }
    if (rc)
        return luaL_error(L, "msg:delete: cannot delete (%s)", hxe_strerror(rc));
    charge_segment(L, s, m, &p);
    lua_pushboolean(L, 1);
    return 1;
}

static int m_count(lua_State *L)
{
    hxe_hl7_msg *m = check_msg(L, NULL);
    hxe_hl7_path p;
    check_path(L, "count", &p);
    lua_pushinteger(L, (lua_Integer)hxe_hl7_count(m, &p));
    return 1;
}

static int m_type(lua_State *L)
{
    hxe_hl7_msg *m = check_msg(L, NULL);
    char buf[64];
    size_t n = hxe_config_msg_type(m, buf, sizeof buf);
    lua_pushlstring(L, buf, n);
    return 1;
}

static int m_tostring(lua_State *L)
{
    lua_pushliteral(L, "hxe.msg");
    return 1;
}

void hxe__script_msg_open(lua_State *L)
{
    static const luaL_Reg methods[] = {{"get", m_get},       {"raw", m_raw},     {"set", m_set},
                                       {"delete", m_delete}, {"count", m_count}, {"type", m_type},
                                       {NULL, NULL}};
    luaL_newmetatable(L, HXE_MSG_META);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, m_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

void hxe__script_msg_push(lua_State *L, hxe_script *s)
{
    msg_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->gen = s->gen;
    luaL_setmetatable(L, HXE_MSG_META);
}
