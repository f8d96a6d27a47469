-- cnnv3.lua: keeps a cnnv3 dynamic preset's shader parameters in step with the music.
--
-- Install: copy into ~~/scripts/ (e.g. ~/.config/mpv/scripts/cnnv3.lua) and the presets into
-- ~~/shaders/. Documentation: docs/mpv.md of the cnnv3 source tree.
--
-- With a cnnv3 dynamic preset (cnnv3_<model>_dynamic.glsl) in glsl-shaders, the script writes
-- beat_phase, beat_norm, audio_intensity, style_p0, style_p1 and strength into glsl-shader-opts
-- whenever the playback time changes:
--   * from a conditioning track (the CSV of `cnnv3 analyze`) beside the file, the row at or before
--     the playback time;
--   * without one, it asks `cnnv3 analyze` (the cnnv3 found on PATH) to write one into
--     $XDG_CACHE_HOME/cnnv3/ (never beside the media), in the background, and meanwhile (or when
--     cnnv3 is not installed) runs live: audio_intensity from the audio filter chain's peak level
--     (lavfi astats via af-metadata), beats from the bpm script-opt. Both modes take style_p0 and
--     style_p1 from the script-opts, else the preset's defaults, so the look stays the same when
--     the analysis is done.
-- When the renderer cannot apply //!PARAM (mpv's vo=gpu before parameter support, or vo=gpu-next
-- on libplacebo < 5.264 such as Debian 12's mpv 0.35), it says so once on the OSD and in the log
-- and replaces the dynamic preset by the static preset of the same model whose conditioning is
-- nearest to the current values.
--
-- Part of cnnv3. GPL-3.0-or-later.

-- Outside mpv (plain Lua 5.2: the fuzzer tests/fuzz/track_lua_fuzzer.cpp) there is no "mp" module:
-- the file then returns its conditioning-track reader instead of starting (see load_track).
local in_mpv = pcall(require, "mp")
local mp = in_mpv and require "mp" or nil
local msg = in_mpv and require "mp.msg" or nil
local utils = in_mpv and require "mp.utils" or nil
local options = in_mpv and require "mp.options" or nil

local o = {
    track = "",               -- a conditioning CSV to use instead of looking beside the file
    analyze = true,           -- run `cnnv3 analyze` when no track is found
    cnnv3_path = "cnnv3",     -- the cnnv3 command (looked up on PATH)
    cache_dir = "",           -- where analyze writes its tracks; empty: $XDG_CACHE_HOME/cnnv3 (~/.cache/cnnv3)
    shader_dir = "~~/shaders", -- where the presets are looked for (besides loaded presets' folders)
    bpm = 0,                  -- live mode: a steady beat grid (0 = no beats: phase and norm rest at the preset's defaults)
    beat_offset = 0,          -- live mode: time of a beat that starts a bar (seconds)
    style_p0 = "",            -- empty: the track's value (or the preset's default in live mode)
    style_p1 = "",
    strength = 1,
    strength_step = 0.1,
    reactivity = 1,           -- how far the music moves beat_phase, beat_norm, audio_intensity from
                              -- the preset's defaults: 0 = still, 1 = as analysed, up to 2
    fallback = true,          -- switch to the nearest static preset where //!PARAM cannot work
}

-- BEGIN generated from shadergen/conditioning_names.h; do not edit
local KEYS = { "beat_phase", "beat_norm", "audio_intensity", "style_p0", "style_p1" }
local CSV_HEADER = "frame,time,beat_phase,beat_norm,audio_intensity,style_p0,style_p1"
-- SPEC 6 reactivity: v and rest 5 numbers each, r in [0, MAX_REACTIVITY]
local MAX_REACTIVITY = 2
local function apply_reactivity(v, rest, r)
    local out = { v[1], v[2], v[3], v[4], v[5] }
    if r == 1 then return out end
    for _, k in ipairs({ 1, 3 }) do
        out[k] = math.min(1, math.max(0, rest[k] + r * (v[k] - rest[k])))
    end
    if r == 0 then out[2] = rest[2] end
    return out
end
-- END generated
local AF_LABEL = "cnnv3"
local TIME_SLACK = 1e-4       -- the CSV's times have 6 decimals; frame times may be a hair earlier

-- ---------------------------------------------------------------------------------------------
-- small helpers

local function expand(path)
    return mp.command_native({ "expand-path", path }) or path
end

local function file_exists(path)
    local info = utils.file_info(path)
    return info ~= nil and info.is_file
end

local function dirname(path)
    return path:match("^(.*)/[^/]*$") or "."
end

local function basename(path)
    return path:match("([^/]*)$")
end

local function fmt(v)
    local s = string.format("%.6f", v):gsub("0+$", ""):gsub("%.$", "")
    if s == "-0" then s = "0" end
    return s
end

local function clamp01(v)
    if v ~= v then return 0 end
    return math.max(0, math.min(1, v))
end

-- ---------------------------------------------------------------------------------------------
-- presets: what the generated hook files say about themselves in their header comment

local header_cache = {}

local function read_header(path)
    local full = expand(path)
    local info = utils.file_info(full)
    if not info or not info.is_file then return nil end
    local key = full .. "\0" .. tostring(info.mtime) .. "\0" .. tostring(info.size)
    if header_cache[key] ~= nil then return header_cache[key] or nil end
    local f = io.open(full, "r")
    if not f then return nil end
    local head = f:read(4096) or ""
    f:close()
    local p = nil
    local model = head:match('^// cnnv3 static preset of model "([^"]+)"')
    if model then
        local cond, strength = head:match("= ([%d%.eE%-,]+), strength ([%d%.eE%-]+);")
        local c = {}
        for v in (cond or ""):gmatch("[^,]+") do c[#c + 1] = tonumber(v) end
        if #c == 5 then
            p = { kind = "static", model = model, cond = c, strength = tonumber(strength) or 1 }
        end
    else
        model = head:match('^// cnnv3 dynamic preset of model "([^"]+)"')
        if model then
            local defaults = head:match("%(defaults ([%d%.eE%-,]+)%)")
            local c = {}
            for v in (defaults or ""):gmatch("[^,]+") do c[#c + 1] = tonumber(v) end
            if #c ~= 5 then c = { 0, 0, 0.5, 0.5, 0.5 } end
            p = { kind = "dynamic", model = model, cond = c,
                  strength = tonumber(head:match("strength %(default ([%d%.eE%-]+)%)")) or 1 }
        end
    end
    if p then
        p.path = path
        p.file = basename(full)
        p.name = p.file:gsub("%.glsl$", "")
    end
    header_cache[key] = p or false
    return p
end

local function shader_list()
    return mp.get_property_native("glsl-shaders") or {}
end

-- the cnnv3 preset in glsl-shaders (the last one if there are several), with its index
local function loaded_preset()
    local list = shader_list()
    for i = #list, 1, -1 do
        local p = read_header(list[i])
        if p then return p, i, list end
    end
    return nil, nil, list
end

-- every preset in shader_dir and in the folders of loaded cnnv3 presets, sorted by file name
local function discover_presets()
    local dirs, seen = {}, {}
    local function add_dir(d)
        local full = expand(d)
        if not seen[full] then
            seen[full] = true
            dirs[#dirs + 1] = { spec = d, full = full }
        end
    end
    for _, entry in ipairs(shader_list()) do
        if read_header(entry) then add_dir(dirname(entry)) end
    end
    add_dir(o.shader_dir)
    local found, by_file = {}, {}
    for _, d in ipairs(dirs) do
        for _, f in ipairs(utils.readdir(d.full, "files") or {}) do
            if f:match("^cnnv3_.*%.glsl$") and not by_file[f] then
                local p = read_header(d.spec .. "/" .. f)
                if p then
                    by_file[f] = true
                    found[#found + 1] = p
                end
            end
        end
    end
    table.sort(found, function(a, b) return a.file < b.file end)
    return found
end

-- ---------------------------------------------------------------------------------------------
-- conditioning tracks (docs/audio.md: the CSV that `cnnv3 analyze -o` writes)

local function load_track(path)
    local f = io.open(path, "r")
    if not f then return nil, path .. ": cannot open" end
    local rows, n, last_t = {}, 0, nil
    local header = true
    for line in f:lines() do
        n = n + 1
        line = line:gsub("\r$", "")
        if header then
            if line ~= CSV_HEADER then
                f:close()
                return nil, string.format("%s:%d: not a cnnv3 conditioning track (expected the header %s)",
                                          path, n, CSV_HEADER)
            end
            header = false
        elseif line ~= "" then
            local fields = {}
            for v in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = v end
            local t = tonumber(fields[2])
            if #fields ~= 7 or tonumber(fields[1]) ~= #rows or not t or (last_t and t <= last_t) then
                f:close()
                return nil, string.format("%s:%d: expected frame %d with 7 fields and an increasing time",
                                          path, n, #rows)
            end
            local row = { time = t, text = {}, value = {} }
            for k = 1, 5 do
                local v = tonumber(fields[k + 2])
                if not v or v ~= v or v < 0 or v > 1 then
                    f:close()
                    return nil, string.format("%s:%d: %s must be in [0, 1]", path, n, KEYS[k])
                end
                row.text[k], row.value[k] = fields[k + 2], v
            end
            rows[#rows + 1] = row
            last_t = t
        end
    end
    f:close()
    if #rows == 0 then return nil, path .. ": no frames" end
    return { path = path, rows = rows }
end

-- the row at or before t (the first row before the first time, the last after the last)
local function track_row(track, t)
    local rows = track.rows
    local lo, hi = 1, #rows
    if t + TIME_SLACK < rows[1].time then return rows[1] end
    while lo < hi do
        local mid = math.floor((lo + hi + 1) / 2)
        if rows[mid].time <= t + TIME_SLACK then lo = mid else hi = mid - 1 end
    end
    return rows[lo]
end

if not in_mpv then return { load_track = load_track, track_row = track_row } end

local function path_hash(s)
    local h = 5381
    for i = 1, #s do h = (h * 33 + s:byte(i)) % 4294967296 end
    return string.format("%08x", h)
end

local function is_local_file(path)
    return path and not path:match("^%a[%w+.-]*://") and file_exists(path)
end

local function cache_dir()
    if o.cache_dir ~= "" then return expand(o.cache_dir) end
    local xdg = os.getenv("XDG_CACHE_HOME")
    if xdg and xdg:match("^/") then return xdg .. "/cnnv3" end
    return (os.getenv("HOME") or expand("~")) .. "/.cache/cnnv3"
end

local function cache_track_path(path)
    local stem = basename(path):gsub("%.[^.]*$", "")
    return cache_dir() .. "/" .. stem .. "-" .. path_hash(path) .. ".cnnv3.csv"
end

-- the tracks that may belong to PATH, in the order they are tried
local function track_candidates(path)
    local list = {}
    if o.track ~= "" then list[#list + 1] = expand(o.track) end
    if is_local_file(path) then
        local stem = path:gsub("%.[^./]*$", "")
        list[#list + 1] = stem .. ".cnnv3.csv"
        list[#list + 1] = stem .. ".csv"
        list[#list + 1] = cache_track_path(path)
    end
    return list
end

-- the playing file as an absolute path (URLs as they are)
local function current_path()
    local path = mp.get_property("path")
    local wd = mp.get_property("working-directory")
    if path and wd and not path:match("^/") and not path:match("^%a[%w+.-]*://") then
        path = utils.join_path(wd, path)
    end
    return path
end

-- ---------------------------------------------------------------------------------------------
-- state

local state = {
    active = false,        -- a cnnv3 dynamic preset is loaded (or was replaced by the fallback)
    preset = nil,          -- that dynamic preset's header info
    file = nil,            -- the playing file's path
    track = nil,           -- the loaded conditioning track
    mode = "off",          -- "track", "live" or "off"
    analyzing = nil,       -- the path the running `cnnv3 analyze` writes, if any
    af_added = false,
    env = 0, ref = 0, env_time = nil, -- live intensity envelope
    written = nil,         -- the values last written to glsl-shader-opts (text)
    params_unsupported = false, -- the renderer rejected //!PARAM
    fell_back = false,     -- a dynamic preset was replaced by a static one
    reported = false,      -- the one OSD/log report is done
    hidden = nil,          -- the preset entry removed by the toggle
}

local function live_style(k, default)
    local v = tonumber(o["style_p" .. k])
    if v then return clamp01(v) end
    return default
end

-- live mode: peak level of the latest audio frame -> envelope (instant attack, 0.25 s release, as
-- `cnnv3 analyze`), over a reference that follows the loudest peak and halves every 10 s
local function live_intensity()
    local md = mp.get_property_native("af-metadata/" .. AF_LABEL)
    local now = mp.get_time()
    local dt = state.env_time and math.max(0, now - state.env_time) or 0
    state.env_time = now
    local peak = 0
    if md then
        local db = tonumber(md["lavfi.astats.Overall.Peak_level"])
        if db and db > -200 then peak = 10 ^ (db / 20) end
    end
    state.env = math.max(peak, state.env * math.exp(-dt / 0.25))
    state.ref = math.max(state.env, state.ref * 0.5 ^ (dt / 10), 0.001)
    if state.env < 10 ^ (-80 / 20) then return 0 end
    return clamp01(state.env / state.ref)
end

local function live_values(t)
    local d = state.preset and state.preset.cond or { 0, 0, 0.5, 0.5, 0.5 }
    local phase, norm = d[1], d[2]  -- no beats: the rest values (docs/formats.md)
    local bpm = tonumber(o.bpm) or 0
    if bpm > 0 then
        local beats = (t - (tonumber(o.beat_offset) or 0)) * bpm / 60
        local k = math.floor(beats)
        phase = beats - k
        norm = ((k % 8) + phase) / 8
    end
    return { fmt(phase), fmt(norm), fmt(live_intensity()), fmt(live_style(0, d[4])), fmt(live_style(1, d[5])) }
end

local function music_values(t)
    if state.mode == "track" and state.track then
        local row = track_row(state.track, t)
        local v = { row.text[1], row.text[2], row.text[3], row.text[4], row.text[5] }
        if tonumber(o.style_p0) then v[4] = fmt(clamp01(tonumber(o.style_p0))) end
        if tonumber(o.style_p1) then v[5] = fmt(clamp01(tonumber(o.style_p1))) end
        if state.track.cached then
            -- the script's own analysis keys no style: the same styles as live mode
            local d = state.preset and state.preset.cond or { 0, 0, 0.5, 0.5, 0.5 }
            v[4], v[5] = fmt(live_style(0, d[4])), fmt(live_style(1, d[5]))
        end
        return v
    end
    return live_values(t)
end

-- SPEC §6 reactivity (docs/formats.md): apply_reactivity (generated above) around rest = the preset's
-- defaults (the model's default_cond). Only the values it changes are rewritten: R = 1 leaves the
-- text as it is.
local reactivity_reported = nil

local function reactivity()
    local r = tonumber(o.reactivity)
    if r and r >= 0 and r <= MAX_REACTIVITY then return r end
    if reactivity_reported ~= tostring(o.reactivity) then
        reactivity_reported = tostring(o.reactivity)
        msg.error("cnnv3-reactivity: \"" .. tostring(o.reactivity) .. "\" is not a number in [0, " .. MAX_REACTIVITY
            .. "] (using 1)")
    end
    return 1
end

local function react(v)
    local r = reactivity()
    if r == 1 then return v end
    local rest = state.preset and state.preset.cond or { 0, 0, 0.5, 0.5, 0.5 }
    local c = {}
    for k = 1, 5 do c[k] = tonumber(v[k]) end
    local out = apply_reactivity(c, rest, r)
    for k = 1, 5 do
        if out[k] ~= c[k] then v[k] = fmt(out[k]) end
    end
    return v
end

local function current_values(t)
    return react(music_values(t))
end

local function strength_text()
    return fmt(clamp01(tonumber(o.strength) or 1))
end

local function write_opts(values)
    local text = table.concat(values, ",") .. "," .. strength_text()
    if text == state.written then return end
    local opts = mp.get_property_native("glsl-shader-opts") or {}
    for k = 1, 5 do opts[KEYS[k]] = values[k] end
    opts.strength = strength_text()
    mp.set_property_native("glsl-shader-opts", opts)
    state.written = text
end

local function update()
    if not state.active or state.mode == "off" then return end
    local t = mp.get_property_number("time-pos")
    if not t then return end
    write_opts(current_values(t))
end

-- ---------------------------------------------------------------------------------------------
-- live mode's audio filter

local function add_af()
    if state.af_added then return end
    local tracks = mp.get_property_native("track-list") or {}
    local has_audio = false
    for _, tr in ipairs(tracks) do if tr.type == "audio" then has_audio = true end end
    if not has_audio then return end
    if mp.commandv("af", "add", "@" .. AF_LABEL .. ":lavfi=[astats=metadata=1:reset=1:measure_perchannel=none]") then
        state.af_added = true
    end
end

local function remove_af()
    if not state.af_added then return end
    mp.commandv("af", "remove", "@" .. AF_LABEL)
    state.af_added = false
end

-- ---------------------------------------------------------------------------------------------
-- choosing the source: track, analyze, live

local function use_track(track)
    track.cached = state.file ~= nil and track.path == cache_track_path(state.file)
    state.track = track
    state.mode = "track"
    state.written = nil
    remove_af()
    msg.info("conditioning from " .. track.path .. " (" .. #track.rows .. " frames)")
    update()
end

local function start_live(why)
    state.mode = "live"
    state.written = nil
    add_af()
    msg.info("live conditioning (" .. why .. "): audio_intensity from the audio's peak level, " ..
             ((tonumber(o.bpm) or 0) > 0 and ("beats at " .. o.bpm .. " BPM") or "no beats (bpm=0)"))
    update()
end

local function start_analyze(path)
    local out = cache_track_path(path)
    os.remove(out) -- the script's own cache file, there but unreadable (choose_source tried it)
    mp.command_native({ name = "subprocess", args = { "mkdir", "-p", dirname(out) },
                        playback_only = false, capture_stdout = true, capture_stderr = true })
    state.analyzing = out
    msg.info("running " .. o.cnnv3_path .. " analyze " .. path .. " -o " .. out)
    mp.command_native_async({ name = "subprocess", args = { o.cnnv3_path, "analyze", path, "-y", "-o", out },
                              playback_only = false, capture_stdout = true, capture_stderr = true },
        function(ok, res, err)
            if state.analyzing == out then state.analyzing = nil end
            res = res or {}
            if res.error_string == "init" then
                msg.info(o.cnnv3_path .. " is not installed: staying live")
                return
            end
            if not ok or res.status ~= 0 then
                local line = (res.stderr or err or ""):match("[^\n]+") or ("exit status " .. tostring(res.status))
                msg.warn("cnnv3 analyze failed: " .. line)
                return
            end
            local track, why = load_track(out)
            if not track then
                msg.warn(why)
                return
            end
            if state.file == path and state.active then
                mp.osd_message("cnnv3: conditioning track ready", 2)
                use_track(track)
            end
        end)
end

local function choose_source()
    if not state.active or not state.file then return end
    if state.mode ~= "off" then return end
    for _, cand in ipairs(track_candidates(state.file)) do
        if file_exists(cand) then
            local track, why = load_track(cand)
            if track then
                use_track(track)
                return
            end
            if cand == expand(o.track) or cand:match("%.cnnv3%.csv$") then msg.warn(why) end
        end
    end
    if o.analyze and is_local_file(state.file) and not state.analyzing then
        start_analyze(state.file)
        start_live("until the analysis is done")
    else
        start_live("no conditioning track")
    end
end

-- ---------------------------------------------------------------------------------------------
-- the fallback: //!PARAM cannot be applied by this renderer

local function nearest_static(preset, values)
    local best, best_d = nil, math.huge
    for _, p in ipairs(discover_presets()) do
        if p.kind == "static" and p.model == preset.model then
            local d = 0
            for k = 1, 5 do d = d + (p.cond[k] - values[k]) ^ 2 end
            d = d + (p.strength - (tonumber(o.strength) or 1)) ^ 2
            if d < best_d - 1e-9 then best, best_d = p, d end -- ties: the first by file name
        end
    end
    return best
end

local function entry_for(p, like)
    -- keep the form the user wrote (e.g. ~~/shaders/...) when the static preset sits beside it
    if like and expand(dirname(like)) == expand(dirname(p.path)) then
        return dirname(like) .. "/" .. p.file
    end
    return p.path
end

local function fallback()
    if not o.fallback then return end
    local p, index, list = loaded_preset()
    if not p or p.kind ~= "dynamic" then return end
    local vo = mp.get_property("current-vo") or "?"
    if state.mode == "off" then
        -- the renderer may reject the shader before file-loaded reaches the script
        state.active, state.preset = true, p
        if not state.file then state.file = current_path() end
        choose_source()
    end
    local t = mp.get_property_number("time-pos") or 0
    local values = {}
    local text = (state.mode ~= "off") and current_values(t) or nil
    for k = 1, 5 do values[k] = text and tonumber(text[k]) or p.cond[k] end
    local static = nearest_static(p, values)
    local reason = "this mpv (vo=" .. vo .. ") cannot apply shader parameters (//!PARAM needs " ..
                   (vo == "gpu" and "a newer mpv's vo=gpu or vo=gpu-next on libplacebo >= 5.264"
                                 or "libplacebo >= 5.264") .. ")"
    local values_text = {}
    for k = 1, 5 do values_text[k] = fmt(values[k]) end
    local report
    if static then
        report = "cnnv3: " .. reason .. "; using the static preset " .. static.name ..
                 " (nearest to " .. table.concat(values_text, ",") .. ") instead of " .. p.name
    else
        report = "cnnv3: " .. reason .. "; no static preset of model " .. p.model ..
                 " found in " .. o.shader_dir .. ": " .. p.name .. " has no effect"
    end
    if state.reported then
        msg.verbose(report)
    else
        state.reported = true
        msg.warn(report)
        mp.osd_message(report, 6)
    end
    if static then
        state.fell_back = true
        state.preset = p
        list[index] = entry_for(static, list[index])
        mp.set_property_native("glsl-shaders", list)
    end
end

mp.enable_messages("error")
mp.register_event("log-message", function(e)
    if e.level == "error" and e.prefix:match("^vo") and e.text:match("PARAM") then
        if not state.params_unsupported then
            state.params_unsupported = true
            msg.verbose("renderer rejected //!PARAM: " .. e.text:gsub("\n$", ""))
        end
        fallback()
    end
end)

-- ---------------------------------------------------------------------------------------------
-- following glsl-shaders and the playing file

local function refresh_active()
    local p = loaded_preset()
    local was = state.active
    if p and p.kind == "dynamic" then
        state.active, state.preset = true, p
        state.written = nil   -- a re-added shader starts from its defaults
        if state.params_unsupported then fallback() end
    elseif p and p.kind == "static" and state.fell_back and state.preset and p.model == state.preset.model then
        -- the fallback's static preset stands in for the dynamic one: keep the values in step
        state.active = true
    else
        state.active = false
    end
    if state.active and not was then
        choose_source()
        update()
    elseif not state.active and was then
        remove_af()
        state.mode = "off"
        state.track = nil
    end
end

mp.observe_property("glsl-shaders", "native", function() refresh_active() end)
mp.observe_property("time-pos", "number", function() update() end)

mp.register_event("file-loaded", function()
    local path = current_path()
    if state.file == path and state.mode ~= "off" then return end -- set up early by the fallback
    state.file = path
    state.mode, state.track, state.written = "off", nil, nil
    state.env, state.ref, state.env_time = 0, 0, nil
    choose_source()
end)

mp.register_event("end-file", function()
    remove_af()
    state.file, state.mode, state.track = nil, "off", nil
end)

options.read_options(o, "cnnv3", function()
    state.written = nil
    if state.active then
        state.mode, state.track = "off", nil
        choose_source()
    end
    update()
end)

-- ---------------------------------------------------------------------------------------------
-- key bindings (input.conf: script-binding cnnv3/...)

mp.add_key_binding(nil, "toggle", function()
    local p, index, list = loaded_preset()
    if p then
        state.hidden = list[index]
        table.remove(list, index)
        mp.set_property_native("glsl-shaders", list)
        mp.osd_message("cnnv3: off (" .. p.name .. ")")
    else
        local presets = discover_presets()
        local entry = state.hidden
        if not entry then
            for _, q in ipairs(presets) do
                if q.kind == "static" or not state.params_unsupported then entry = q.path break end
            end
        end
        if not entry then
            mp.osd_message("cnnv3: no preset found in " .. o.shader_dir)
            return
        end
        list[#list + 1] = entry
        mp.set_property_native("glsl-shaders", list)
        mp.osd_message("cnnv3: " .. (read_header(entry) or { name = entry }).name)
    end
end)

local function cycle(step)
    local presets = {}
    for _, q in ipairs(discover_presets()) do
        if q.kind == "static" or not state.params_unsupported then presets[#presets + 1] = q end
    end
    if #presets == 0 then
        mp.osd_message("cnnv3: no preset found in " .. o.shader_dir)
        return
    end
    local p, index, list = loaded_preset()
    local at = 0
    if p then
        for i, q in ipairs(presets) do if q.file == p.file then at = i end end
    end
    local next_p = presets[((at - 1 + step) % #presets) + 1]
    if at == 0 and step < 0 then next_p = presets[#presets] end
    if p then
        list[index] = entry_for(next_p, list[index])
    else
        list[#list + 1] = next_p.path
    end
    state.hidden = nil
    mp.set_property_native("glsl-shaders", list)
    mp.osd_message("cnnv3: " .. next_p.name)
end

mp.add_key_binding(nil, "next-preset", function() cycle(1) end)
mp.add_key_binding(nil, "prev-preset", function() cycle(-1) end)

local function change_strength(delta)
    local p = loaded_preset()
    if not p or not state.active or state.fell_back then
        mp.osd_message("cnnv3: strength needs a dynamic preset on a renderer with shader parameters")
        return
    end
    o.strength = clamp01((tonumber(o.strength) or 1) + delta)
    update()
    mp.osd_message("cnnv3 strength " .. strength_text())
end

mp.add_key_binding(nil, "strength-up", function() change_strength(tonumber(o.strength_step) or 0.1) end)
mp.add_key_binding(nil, "strength-down", function() change_strength(-(tonumber(o.strength_step) or 0.1)) end)

mp.add_key_binding(nil, "info", function()
    local p = loaded_preset()
    local lines = { "cnnv3: " .. (p and p.name or "no preset loaded") }
    if state.active then
        lines[#lines + 1] = "source: " .. (state.mode == "track" and state.track.path or state.mode) ..
                            (state.analyzing and " (analyzing)" or "")
        local opts = mp.get_property_native("glsl-shader-opts") or {}
        local v = {}
        for _, k in ipairs(KEYS) do v[#v + 1] = k .. "=" .. tostring(opts[k]) end
        v[#v + 1] = "strength=" .. tostring(opts.strength)
        lines[#lines + 1] = table.concat(v, " ")
    end
    if state.fell_back then lines[#lines + 1] = "static fallback: this renderer has no shader parameters" end
    mp.osd_message(table.concat(lines, "\n"), 4)
end)
