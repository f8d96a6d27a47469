// The encoder's own speed on the frames `cnnv3 stylize` would encode: the transcode pipeline
// (filter/video/video_transcode.h: the same decoder, threads, encoder choice and muxer) with a
// processor that copies every frame instead of running the network. bench/cli_fps.sh prints it
// beside the CLI's fps ("the encoder is the limit, not us": issue 13).
//   cnnv3-bench-encode IN OUT [--encoder NAME] [-x KEY=VALUE]...
// Prints one line: frames, seconds (first frame to the end), fps.
#include "video_error.h"
#include "video_transcode.h"

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/log.h>
}

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

// Output = input (no conversion); an output format other than the input's is refused by the
// pipeline (pass an encoder that takes the input's format).
struct Copy : cnnv3::FrameProcessor {
    bool process_native(const AVFrame& in, AVFrame& out, double, int64_t) override
    {
        return av_frame_copy(&out, &in) >= 0;
    }
};

}  // namespace

int main(int argc, char** argv)
{
    av_log_set_level(AV_LOG_QUIET);
    cnnv3::TranscodeOptions options;
    int positional = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--encoder" && i + 1 < argc)
            options.encoder = argv[++i];
        else if (arg == "-x" && i + 1 < argc)
            options.encoder_options.push_back(cnnv3::parse_encoder_option(argv[++i]));
        else if (positional == 0 && ++positional)
            options.input = arg;
        else if (positional == 1 && ++positional)
            options.output = arg;
        else {
            std::fprintf(stderr, "usage: cnnv3-bench-encode IN OUT [--encoder NAME] [-x KEY=VALUE]...\n");
            return 2;
        }
    }
    if (positional != 2) {
        std::fprintf(stderr, "usage: cnnv3-bench-encode IN OUT [--encoder NAME] [-x KEY=VALUE]...\n");
        return 2;
    }
    options.overwrite = true;
    double fps = 0.0, seconds = 0.0;
    options.progress = [&](const cnnv3::TranscodeProgress& p) {
        if (p.finished) {
            fps = p.fps;
            seconds = p.fps > 0.0 ? p.frames_done / p.fps : 0.0;
        }
    };
    try {
        Copy copy;
        const cnnv3::TranscodeResult result = cnnv3::transcode_video(options, copy);
        std::printf("%lld frames, %.3f s, %.2f fps, %s %s\n", static_cast<long long>(result.frames), seconds, fps,
                    result.encoder.c_str(), result.pixel_format.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cnnv3-bench-encode: %s\n", e.what());
        return 1;
    }
    return 0;
}
