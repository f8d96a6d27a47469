// libFuzzer target for the mpv script's conditioning-track reader (mpv/cnnv3.lua: load_track and
// track_row), run in Lua 5.2, the Lua that Debian 12's mpv links. The input is the CSV file's
// bytes. Outside mpv the script returns its reader instead of starting (its first lines).
// Any input must give a track or (nil, one line that starts with the file's name): a Lua error is a
// crash of the script in mpv. A track has rows at strictly increasing times with five values in
// [0, 1], and track_row(t) gives the row at or before t + TIME_SLACK (the first row before it).
// Lua itself is not instrumented: a line hook turns each pair of consecutive Lua lines run (the
// script's and the checks') into one of libFuzzer's extra coverage counters, so that coverage of
// the Lua code guides the mutations. Seeds: make_seeds.py --track-lua.
#include <lua.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace {

// The properties above, in Lua: called with the script's module and the file's path.
constexpr const char* check_source = R"lua(
local M, path = ...
local track, err = M.load_track(path)
if not track then
    assert(type(err) == "string", "no message")
    assert(not err:find("[\r\n]"), "a message of more than one line: " .. err)
    assert(err:sub(1, #path) == path and #err <= #path + 200, "a message that does not start with the file: " .. err)
    return
end
local rows = track.rows
assert(#rows >= 1, "a track without rows")
for i, r in ipairs(rows) do
    assert(r.time == r.time and (i == 1 or r.time > rows[i - 1].time), "row " .. i .. ": time not increasing")
    for k = 1, 5 do
        local v = r.value[k]
        assert(type(v) == "number" and v >= 0 and v <= 1, "row " .. i .. ": value " .. k .. " outside [0, 1]")
    end
end
local SLACK = 1e-4
local probes = { -math.huge, math.huge, 0, rows[1].time - 1, rows[#rows].time + 1 }
for i = 1, math.min(#rows, 64) do
    local t = rows[i].time
    for _, d in ipairs({ 0, -SLACK, -2 * SLACK, 1e-9, 0.5 }) do probes[#probes + 1] = t + d end
end
for _, t in ipairs(probes) do
    if t == t then
        local r = M.track_row(track, t)
        local at = nil
        for i, row in ipairs(rows) do if row == r then at = i end end
        assert(at, "track_row(" .. t .. ") is not a row of the track")
        if t + SLACK < rows[1].time then
            assert(at == 1, "track_row(" .. t .. ") before the first row is row " .. at)
        else
            assert(r.time <= t + SLACK and (at == #rows or rows[at + 1].time > t + SLACK),
                   "track_row(" .. t .. ") is row " .. at .. ", not the row at or before it")
        end
    end
end
)lua";

// Edges between Lua lines, hashed; libFuzzer reads and clears them around every run.
constexpr unsigned edge_count = 1u << 12;
__attribute__((used, section("__libfuzzer_extra_counters"))) std::uint8_t lua_edges[edge_count];
int previous_line = 0;

void count_line(lua_State*, lua_Debug* event)
{
    const unsigned edge = (static_cast<unsigned>(previous_line) * 2654435761u ^ static_cast<unsigned>(event->currentline)) %
                          edge_count;
    if (lua_edges[edge] < 255)
        ++lua_edges[edge];
    previous_line = event->currentline;
}

struct Script {
    lua_State* lua = luaL_newstate();
    int module = LUA_NOREF;
    int check = LUA_NOREF;
    int fd = -1;
    std::string path;

    Script()
    {
        if (!lua)
            std::abort();
        luaL_openlibs(lua);
        if (luaL_dofile(lua, CNNV3_LUA_SCRIPT) != LUA_OK || !lua_istable(lua, -1)) {
            std::fprintf(stderr, "%s: %s\n", CNNV3_LUA_SCRIPT,
                         lua_isstring(lua, -1) ? lua_tostring(lua, -1) : "did not return its track reader");
            std::abort();
        }
        module = luaL_ref(lua, LUA_REGISTRYINDEX);
        if (luaL_loadstring(lua, check_source) != LUA_OK) {
            std::fprintf(stderr, "the check: %s\n", lua_tostring(lua, -1));
            std::abort();
        }
        check = luaL_ref(lua, LUA_REGISTRYINDEX);
        // The CSV lives in memory (a file on disk cost a write-back per run); the script opens it by
        // its /proc/self/fd path, as it would a track beside a video.
        fd = memfd_create("track.csv", 0);
        if (fd < 0)
            std::abort();
        path = "/proc/self/fd/" + std::to_string(fd);
        lua_sethook(lua, count_line, LUA_MASKLINE, 0);  // after loading: the runs' lines only
    }
    ~Script()
    {
        lua_close(lua);
        close(fd);
    }
    Script(const Script&) = delete;
    Script& operator=(const Script&) = delete;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static Script script;
    if (ftruncate(script.fd, 0) != 0 ||
        (size > 0 && pwrite(script.fd, data, size, 0) != static_cast<ssize_t>(size)))
        std::abort();
    lua_State* L = script.lua;
    previous_line = 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, script.check);
    lua_rawgeti(L, LUA_REGISTRYINDEX, script.module);
    lua_pushstring(L, script.path.c_str());
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        std::fprintf(stderr, "cnnv3.lua's track reader: %s\n", lua_tostring(L, -1));
        __builtin_trap();
    }
    lua_settop(L, 0);
    // Free the run's garbage now: a run that ends with more allocations than frees has libFuzzer
    // scan for leaks (LeakSanitizer), which took most of the time.
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}
