-- Test helper: logs once that the cnnv3 hook passes ran (seen in vo-passes while playing) and,
-- at the end, how often the playback time moved and how many frames were dropped.
local seen = false
local frames, dropped = 0, nil
mp.observe_property("time-pos", "number", function(_, t)
    if t then frames = frames + 1 end
    dropped = mp.get_property_number("frame-drop-count") or dropped
    if seen or not t then return end
    local passes = mp.get_property_native("vo-passes")
    for _, p in ipairs(passes and passes.fresh or {}) do
        if (p.desc or ""):match("cnnv3 dec0") then
            seen = true
            mp.msg.info("cnnv3 hook passes ran at t=" .. t)
            return
        end
    end
end)
mp.register_event("end-file", function(e)
    mp.msg.info("end of file (" .. tostring(e.reason) .. ") time-pos updates: " .. frames ..
                ", frames dropped: " .. tostring(dropped))
end)
