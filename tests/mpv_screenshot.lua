-- Test helper: once the first frame is shown, save it at source size with shaders applied
-- ("screenshot-to-file FILE video") to $CNNV3_SHOT and quit.
local target = os.getenv("CNNV3_SHOT") or "shot.png"
local taken = false
mp.register_event("playback-restart", function()
    if taken then return end
    taken = true
    mp.add_timeout(0.3, function()
        mp.commandv("screenshot-to-file", target, "video")
        mp.command("quit")
    end)
end)
