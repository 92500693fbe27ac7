/*
 * script.c — sandboxed Lua 5.4 for filters and transformers: one
 * lua_State per script (the runtime keeps one per channel step), a
 * memory cap through our own lua_Alloc, an instruction budget through a
 * count hook, and a standard library cut down to what cannot reach the
 * machine (no io, os beyond the clock, require, debug, bytecode).
 *
 * Why pcall and xpcall are replaced: a script could catch the budget or
 * memory error and carry on forever. Ours re-raise once the run has been
 * killed, so a kill always reaches the top. coroutine is left out for the
 * same reason (resume catches errors too).
 *
 * Errors never carry Lua's error text unless verbose_errors is set: the
 * text of error("...") is whatever the script put there, which may be a
 * patient's name. What we report is the script's name, the line and the
 * kind of failure.
 */
#include "script_int.h"

#include <lualib.h>
#include <stdio.h>
#include <string.h>

#define HOOK_EVERY 1000   /* instructions between budget checks */
#define KILL_SLACK (256u << 10) /* room to unwind after a memory kill */

static const char env_key = 'e'; /* registry: the current run's globals */

/* ---- memory ---- */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    hxe_script *s = ud;
    size_t old = ptr ? osize : 0; /* with ptr NULL, osize is a type tag */
    if (nsize == 0) {
        hxe_free(ptr);
        s->mem_used -= old;
        return NULL;
    }
    if (nsize > old) {
        size_t cap = s->lim.memory + (s->killed ? KILL_SLACK : 0);
        size_t grow = nsize - old;
        if (s->mem_used + s->edit_charge + grow > cap || s->mem_used + grow < s->mem_used)
            return NULL; /* Lua collects and retries, then raises LUA_ERRMEM */
    }
    void *p = hxe_realloc(ptr, nsize);
    if (p)
        s->mem_used = s->mem_used - old + nsize;
    return p;
}

void hxe__script_charge(lua_State *L, hxe_script *s, size_t bytes)
{
    s->edit_charge += bytes;
    if (s->mem_used + s->edit_charge > s->lim.memory) {
        s->killed = HXE_SCRIPT_MEMORY;
        luaL_error(L, "memory cap reached");
    }
}

/* ---- budget ---- */
static void hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    hxe_script *s = hxe__script_of(L);
    s->budget_used += HOOK_EVERY;
    if (s->killed == HXE_SCRIPT_BUDGET || s->budget_used > s->lim.instructions) {
        s->killed = HXE_SCRIPT_BUDGET;
        luaL_error(L, "instruction budget exceeded");
    }
}

/* ---- replaced functions ---- */
static int after_protected(lua_State *L, hxe_script *s, int status)
{
    if (status == LUA_ERRMEM && !s->killed)
        s->killed = HXE_SCRIPT_MEMORY;
    if (status != LUA_OK && s->killed)
        return lua_error(L); /* a kill is not the script's to catch */
    return status;
}

static int sb_pcall(lua_State *L)
{
    hxe_script *s = hxe__script_of(L);
    luaL_checkany(L, 1);
    if (s->killed)
        return luaL_error(L, "killed");
    int status = after_protected(L, s, lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0));
    lua_pushboolean(L, status == LUA_OK);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* The script's message handler runs through this one. An error raised
 * by the budget hook reaches the handler while Lua has hooks switched
 * off, so a handler that loops would never be stopped: after a kill the
 * script's handler is not called at all. */
static int xpcall_msgh(lua_State *L)
{
    hxe_script *s = hxe__script_of(L);
    if (s->killed)
        return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int sb_xpcall(lua_State *L)
{
    hxe_script *s = hxe__script_of(L);
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (s->killed)
        return luaL_error(L, "killed");
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, xpcall_msgh, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2); /* f, msgh, true, f, args... */
    int status = after_protected(L, s, lua_pcall(L, n - 2, LUA_MULTRET, 2));
    lua_pushboolean(L, status == LUA_OK);
    lua_replace(L, 3);
    return lua_gettop(L) - 2;
}

static int sb_load(lua_State *L)
{
    size_t n;
    const char *src = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, "=(load)");
    int has_env = !lua_isnone(L, 4);
    if (luaL_loadbufferx(L, src, n, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env)
        lua_pushvalue(L, 4);
    else
        lua_rawgetp(L, LUA_REGISTRYINDEX, &env_key); /* the run's globals */
    if (!lua_setupvalue(L, -2, 1))
        lua_pop(L, 1);
    return 1;
}

/* Objects with finalizers would run script code outside any run (during
 * a collection), so a metatable with __gc is refused. */
static int sb_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int has_gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (has_gc)
            return luaL_error(L, "setmetatable: __gc is not allowed in scripts");
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

static int sb_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "count");
    if (strcmp(opt, "count") != 0)
        return luaL_error(L, "collectgarbage: only \"count\" is allowed");
    lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT, 0) + lua_gc(L, LUA_GCCOUNTB, 0) / 1024.0);
    return 1;
}

static int sb_log(lua_State *L)
{
    hxe_script *s = hxe__script_of(L);
    if (!s->lim.log)
        return 0;
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    if (s->log_fn)
        s->log_fn(s->log_data, s->name, text, len);
    else
        hxe_log(HXE_LOG_DEBUG, "script_log", HXE_LF_STR("script", s->name), HXE_LF_STR("text", text));
    return 0;
}

/* Lua's pattern matcher backtracks in C, where the budget hook cannot
 * reach: "x*x*x*y" over a long subject runs for minutes. Before a match
 * the work is bounded from above: q quantifiers over a subject of n
 * bytes cost at most about n^q / q! steps per start position, times n
 * start positions unless the pattern is anchored with '^'. Past
 * HXE__PATTERN_WORK (a fraction of a second) the call is refused with
 * an error. Plain finds (string.find(s, p, i, true)) are never refused. */
#define HXE__PATTERN_WORK 2e8

static int sb_pattern(lua_State *L)
{
    int plain_arg = (int)lua_tointeger(L, lua_upvalueindex(2));
    size_t n = 0, pn = 0;
    const char *pat = NULL;
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER)
        (void)lua_tolstring(L, 1, &n);
    if (lua_type(L, 2) == LUA_TSTRING)
        pat = lua_tolstring(L, 2, &pn);
    int plain = plain_arg && lua_toboolean(L, plain_arg);
    if (pat && !plain) {
        unsigned q = 0;
        for (size_t i = 0; i < pn; i++) {
            if (pat[i] == '%')
                i++;
            else if (pat[i] == '*' || pat[i] == '+' || pat[i] == '-' || pat[i] == '?')
                q++;
        }
        unsigned e = q + (pn && pat[0] == '^' ? 0 : 1);
        double work = 1;
        for (unsigned i = 1; i <= e && work <= HXE__PATTERN_WORK * 1e3; i++)
            work = work * (double)(n + 1) / (i <= q ? i : 1);
        if (q >= 1 && work > HXE__PATTERN_WORK)
            return luaL_error(L, "pattern too complex for a subject this long");
    }
    int top = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, top, LUA_MULTRET);
    return lua_gettop(L);
}

static void wrap_patterns(lua_State *L, int strlib)
{
    static const struct {
        const char *name;
        int plain_arg;
    } fns[] = {{"find", 4}, {"match", 0}, {"gmatch", 0}, {"gsub", 0}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        lua_getfield(L, strlib, fns[i].name);
        lua_pushinteger(L, fns[i].plain_arg);
        lua_pushcclosure(L, sb_pattern, 2);
        lua_setfield(L, strlib, fns[i].name);
    }
}

/* ---- building the sandbox (runs protected) ---- */
static void copy_field(lua_State *L, int from, int to, const char *name)
{
    lua_getfield(L, from, name);
    lua_setfield(L, to, name);
}

typedef struct setup {
    hxe_script *s;
    const char *src;
    size_t n;
    int load_status;         /* luaL_loadbufferx's, LUA_OK when loaded */
    char load_msg[HXE_ERR_MSG_MAX];
} setup;

static int build_sandbox(lua_State *L)
{
    setup *su = lua_touserdata(L, 1);
    hxe_script *s = su->s;
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
                                    {LUA_STRLIBNAME, luaopen_string},
                                    {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8},
                                    {LUA_OSLIBNAME, luaopen_os},
                                    {NULL, NULL}};
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 0);
        lua_pop(L, 1);
    }
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    /* the string metatable reaches the real string table: strip dump there
     * and hide the metatable from getmetatable("") */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    wrap_patterns(L, lua_gettop(L));
    lua_pop(L, 1);
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    int loaded = lua_gettop(L);

    lua_newtable(L); /* the base every run's globals fall back to */
    int base = lua_gettop(L);
    static const char *const keep[] = {"assert", "error", "ipairs", "next", "pairs", "rawequal",
                                       "rawget", "rawlen", "rawset", "select", "getmetatable", "tonumber", "tostring", "type", "_VERSION",
                                       NULL};
    for (int i = 0; keep[i]; i++)
        copy_field(L, g, base, keep[i]);
    static const char *const libnames[] = {LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME,
                                           LUA_UTF8LIBNAME, NULL};
    for (int i = 0; libnames[i]; i++)
        copy_field(L, loaded, base, libnames[i]);
    lua_getfield(L, loaded, LUA_TABLIBNAME);
    lua_getfield(L, -1, "unpack");
    lua_setfield(L, base, "unpack");
    lua_pop(L, 1);
    lua_newtable(L);
    int os = lua_gettop(L);
    lua_getfield(L, loaded, LUA_OSLIBNAME);
    int real_os = lua_gettop(L);
    copy_field(L, real_os, os, "time");
    copy_field(L, real_os, os, "clock");
    copy_field(L, real_os, os, "date");
    lua_pop(L, 1);
    lua_setfield(L, base, "os");
    static const luaL_Reg mine[] = {{"pcall", sb_pcall},
                                    {"xpcall", sb_xpcall},
                                    {"load", sb_load},
                                    {"setmetatable", sb_setmetatable},
                                    {"collectgarbage", sb_collectgarbage},
                                    {"log", sb_log},
                                    {NULL, NULL}};
    luaL_setfuncs(L, mine, 0);

    /* the real globals are emptied: nothing can reach io or package
     * through them, even by a path we did not think of */
    lua_pushnil(L);
    while (lua_next(L, g)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, g);
    }
    lua_pushnil(L);
    lua_setfield(L, loaded, LUA_OSLIBNAME);

    lua_newtable(L); /* metatable of every run's globals */
    lua_pushvalue(L, base);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    s->meta_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    hxe__script_msg_open(L);
    char chunkname[130];
    snprintf(chunkname, sizeof chunkname, "=%s", s->name);
    su->load_status = luaL_loadbufferx(L, su->src, su->n, chunkname, "t");
    if (su->load_status != LUA_OK) {
        /* a syntax error's text quotes the script (not a message): keep it */
        snprintf(su->load_msg, sizeof su->load_msg, "%s",
                 lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "cannot load");
        return 0;
    }
    s->chunk_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* ---- errors ---- */
static int msgh(lua_State *L)
{
    hxe_script *s = hxe__script_of(L);
    lua_Debug ar;
    for (int level = 1; level < 64 && lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "l", &ar) && ar.currentline > 0) {
            s->err_line = ar.currentline;
            break;
        }
    }
    if (s->lim.verbose_errors && lua_type(L, 1) == LUA_TSTRING)
        snprintf(s->err_text, sizeof s->err_text, "%s", lua_tostring(L, 1));
    return 1;
}

static const char *status_name(int st)
{
    switch (st) {
    case HXE_SCRIPT_BUDGET: return "instruction budget exceeded";
    case HXE_SCRIPT_MEMORY: return "memory cap reached";
    default: return "runtime error";
    }
}

static int report(hxe_script *s, hxe_err *err)
{
    char where[32] = "";
    if (s->err_line > 0 && s->status != HXE_SCRIPT_MEMORY)
        snprintf(where, sizeof where, " line %d", s->err_line);
    if (s->status == HXE_SCRIPT_BUDGET)
        return hxe_err_set(err, HXE_EERROR, "script %s%s: %s (limit %llu instructions)", s->name,
                           where, status_name(s->status), (unsigned long long)s->lim.instructions);
    if (s->status == HXE_SCRIPT_MEMORY)
        return hxe_err_set(err, HXE_EERROR, "script %s: %s (limit %zu bytes)", s->name,
                           status_name(s->status), s->lim.memory);
    return hxe_err_set(err, HXE_EERROR, "script %s%s: %s%s%s", s->name, where,
                       status_name(s->status), s->err_text[0] ? ": " : "", s->err_text);
}

/* ---- life cycle ---- */
static void limits(hxe_script_limits *o, const hxe_script_limits *lim)
{
    memset(o, 0, sizeof *o);
    if (lim)
        *o = *lim;
    if (!o->instructions)
        o->instructions = HXE_SCRIPT_INSTRUCTIONS_DEFAULT;
    if (!o->memory)
        o->memory = HXE_SCRIPT_MEMORY_DEFAULT;
}

static int load_chunk(lua_State *L, const char *name, const char *src, size_t n, hxe_err *err)
{
    char chunkname[130];
    snprintf(chunkname, sizeof chunkname, "=%s", name);
    int st = luaL_loadbufferx(L, src, n, chunkname, "t");
    if (st == LUA_OK)
        return 0;
    /* a syntax error's text quotes the script (not a message): keep it */
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "cannot load";
    int rc = hxe_err_set(err, st == LUA_ERRMEM ? HXE_ENOMEM : HXE_EPARSE, "script %s", msg);
    lua_pop(L, 1);
    return rc;
}

int hxe_script_new(hxe_script **out, const char *name, const char *src, size_t n, int kind,
                   const hxe_script_limits *lim, hxe_err *err)
{
    hxe_script *s = hxe_calloc(1, sizeof *s);
    if (!s)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    snprintf(s->name, sizeof s->name, "%s", name ? name : "script");
    s->kind = kind;
    limits(&s->lim, lim);
    hxe_buf_init(&s->scratch, 0);
    s->chunk_ref = s->meta_ref = LUA_NOREF;
    s->L = lua_newstate(l_alloc, s);
    if (!s->L) {
        hxe_free(s);
        return hxe_err_set(err, HXE_ENOMEM, "script %s: cannot create a Lua state", s->name);
    }
    *(hxe_script **)lua_getextraspace(s->L) = s;
    lua_State *L = s->L;
    setup su;
    memset(&su, 0, sizeof su);
    su.s = s;
    su.src = src ? src : "";
    su.n = src ? n : 0;
    lua_pushcfunction(L, build_sandbox);
    lua_pushlightuserdata(L, &su);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        int rc = hxe_err_set(err, HXE_ENOMEM,
                             "script %s: the memory cap is too small for Lua itself", s->name);
        hxe_script_free(s);
        return rc;
    }
    if (su.load_status != LUA_OK) {
        int rc = hxe_err_set(err, su.load_status == LUA_ERRMEM ? HXE_ENOMEM : HXE_EPARSE,
                             "script %s", su.load_msg);
        hxe_script_free(s);
        return rc;
    }
    lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    lua_gc(L, LUA_GCCOLLECT);
    *out = s;
    return 0;
}

int hxe_script_check(const char *name, const char *src, size_t n, hxe_err *err)
{
    hxe_script probe;
    memset(&probe, 0, sizeof probe);
    probe.lim.memory = HXE_SCRIPT_MEMORY_DEFAULT + n * 4;
    lua_State *L = lua_newstate(l_alloc, &probe);
    if (!L)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    *(hxe_script **)lua_getextraspace(L) = &probe;
    int rc = load_chunk(L, name ? name : "script", src ? src : "", src ? n : 0, err);
    lua_close(L);
    return rc;
}

void hxe_script_set_log(hxe_script *s, hxe_script_log_fn fn, void *data)
{
    s->log_fn = fn;
    s->log_data = data;
}

/* The run itself, in protected mode: fresh globals, the msg object, the
 * chunk called with them. Leaves the chunk's first result. */
static int run_protected(lua_State *L)
{
    hxe_script *s = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->chunk_ref);
    lua_createtable(L, 0, 4);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->meta_ref);
    lua_setmetatable(L, -2);
    hxe__script_msg_push(L, s);
    lua_setfield(L, -2, "msg");
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &env_key);
    lua_setupvalue(L, -2, 1);
    lua_call(L, 0, 1);
    return 1;
}

int hxe_script_run(hxe_script *s, hxe_hl7_msg *m, int *keep, hxe_err *err)
{
    int dummy;
    if (!keep)
        keep = &dummy;
    *keep = 1;
    if (!s || !m)
        return hxe_err_set(err, HXE_EINVAL, "script run: missing argument");
    lua_State *L = s->L;
    s->gen++;
    s->cur = m;
    s->killed = 0;
    s->budget_used = 0;
    s->edit_charge = 0;
    s->err_line = 0;
    s->err_text[0] = '\0';
    s->status = HXE_SCRIPT_OK;
    lua_settop(L, 0);
    lua_pushcfunction(L, msgh);
    lua_pushcfunction(L, run_protected);
    lua_pushlightuserdata(L, s);
    int st = lua_pcall(L, 1, 1, 1);
    int rc = 0;
    if (st != LUA_OK) {
        s->status = s->killed ? s->killed : st == LUA_ERRMEM ? HXE_SCRIPT_MEMORY : HXE_SCRIPT_ERROR;
        rc = report(s, err);
    } else if (s->kind == HXE_SCRIPT_FILTER) {
        if (lua_type(L, -1) != LUA_TBOOLEAN) {
            s->status = HXE_SCRIPT_ERROR;
            rc = hxe_err_set(err, HXE_EERROR, "script %s: a filter must return true or false",
                             s->name);
        } else {
            *keep = lua_toboolean(L, -1);
        }
    }
    s->cur = NULL;
    lua_pushnil(L); /* the key exists after the first run: no allocation */
    lua_rawsetp(L, LUA_REGISTRYINDEX, &env_key);
    int killed = s->killed;
    s->killed = 0;
    s->edit_charge = 0;
    lua_settop(L, 0);
    /* after a kill, give the next message a clean heap */
    if (killed || rc)
        lua_gc(L, LUA_GCCOLLECT);
    return rc;
}

int hxe_script_last_status(const hxe_script *s) { return s ? s->status : HXE_SCRIPT_OK; }

size_t hxe_script_memory(const hxe_script *s) { return s ? s->mem_used : 0; }

void hxe_script_free(hxe_script *s)
{
    if (!s)
        return;
    if (s->L)
        lua_close(s->L);
    hxe_buf_free(&s->scratch);
    hxe_free(s);
}
