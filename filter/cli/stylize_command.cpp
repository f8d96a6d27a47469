#include "stylize_command.h"

#include "atomic_file.h"
#include "audio_decode.h"
#include "cond_option.h"
#include "conditioning_options.h"
#include "conditioning_track.h"
#include "color_tags.h"
#include "encoder_choice.h"
#include "environment_switch.h"
#include "frame_input.h"
#include "frame_planes_gpu.h"
#include "gpu_context.h"
#include "media_input.h"
#include "media_probe.h"
#include "model_search.h"
#include "network_runner.h"
#include "pixel_formats.h"
#include "scene_cut.h"
#include "user_media.h"
#include "video_error.h"
#include "video_transcode.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#include "excerpt.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <pthread.h>
#include <unistd.h>

namespace cnnv3::cli {

const std::string_view stylize_usage =
    "usage: cnnv3 stylize [options] IN OUT\n"
    "\n"
    "  Stylize every frame of IN (a video, a still image, or - for stdin) on the GPU and write\n"
    "  OUT (its container from the extension; - for y4m on stdout). Audio and subtitle streams are\n"
    "  copied bit-exact, timestamps kept; a .png OUT is 16-bit RGB. OUT is written to a temporary name\n"
    "  and renamed when complete, never onto IN; Ctrl-C, SIGTERM or SIGHUP stop early and still leave\n"
    "  a valid, finalised file (exit status 130, 143, 129).\n"
    "\n"
    "  --model NAME|DIR   model directory, or a name from the weights directory (default: its DEFAULT)\n"
    "  --cond a,b,c,d,e   fixed conditioning beat_phase,beat_norm,audio_intensity,style_p0,style_p1\n"
    "                     (no audio analysis); default: from IN's audio, or the model's default_cond\n"
    "                     when IN has no audio\n"
    "  --cond-track FILE  per-frame conditioning from a CSV written by `cnnv3 analyze`\n"
    "  --audio FILE       the music from FILE instead of IN: it replaces IN's audio in OUT, cut to the\n"
    "                     video's length, and drives the conditioning\n"
    "  --audio-offset S   start FILE's audio S seconds in (default 0)\n"
    "  --strength S       mix of the stylized output over the input, 0..1 (default 1)\n"
    "  --feedback 0|1     feed each frame's network output to the next frame (SPEC prev.rgb; 0 on the\n"
    "                     first frame and after a scene cut); default 1\n"
    "  --gpu N|NAME       Vulkan device (see `cnnv3 devices`)\n"
    "  --hwdec auto|none  decode IN on the hardware decoder FFmpeg offers (NVDEC, VAAPI, ...), else\n"
    "                     in software (auto); none: software only (default; see docs/video.md)\n"
    "  --encoder NAME     video encoder (default: libx264 where it takes the pixel format, else a\n"
    "                     lossless one; see docs/video.md)\n"
    "  --crf Q            quality for encoders with a crf option (default 18)\n"
    "  --pix-fmt FMT      output pixel format, e.g. yuv420p for the web from a 10-bit source\n"
    "                     (default: the input's where the encoder takes it; see docs/video.md)\n"
    "  -x KEY=VALUE       encoder option, passed to the encoder as is (repeatable)\n"
    "  -y                 overwrite OUT (an existing OUT is refused without it)\n"
    "  --quiet            no progress line\n"
    "  --progress json    progress as one JSON object per line on stderr\n"
    "\n"
    "  Audio-driven conditioning (default):\n"
    "  --bpm B [--offset S] | --beats FILE | --style0 V|t:v,... | --style1 V|t:v,...\n"
    "  (styles default to the model's default_cond) | --reactivity R (0..2, default 1: how far the\n"
    "  music moves beat_phase, beat_norm, audio_intensity from the model's default_cond)\n";

namespace {

std::atomic<bool> stop_requested{false};
std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signal)
{
    stop_signal.store(signal);
    stop_requested.store(true);
}

// SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the run early with a finalised file, for the lifetime of
// the object; the previous handlers come back after. Installed without SA_RESTART, so that a read
// blocked on a stalled pipe returns EINTR and FFmpeg's interrupt callback sees the stop at once.
// SA_RESETHAND: a second signal of the same kind ends the process the default way.
class StopSignals {
public:
    StopSignals()
    {
        stop_requested.store(false);
        stop_signal.store(0);
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        for (std::size_t i = 0; i < signals.size(); ++i)
            sigaction(signals[i], &action, &previous_[i]);
    }
    ~StopSignals()
    {
        for (std::size_t i = 0; i < signals.size(); ++i)
            sigaction(signals[i], &previous_[i], nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    static constexpr std::array<int, 3> signals{SIGINT, SIGTERM, SIGHUP};

private:
    std::array<struct sigaction, signals.size()> previous_{};
};

std::string signal_description(int signal)
{
    switch (signal) {
    case SIGINT: return "Ctrl-C (SIGINT)";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return fmt::format("signal {}", signal);
    }
}

struct StylizeArgs {
    std::string input, output;
    std::string model;
    std::optional<std::vector<float>> cond;
    std::optional<std::string> cond_track;
    std::optional<std::string> audio;
    std::optional<double> audio_offset;
    float strength = 1.0f;
    bool feedback = true;
    std::string gpu;
    TranscodeOptions transcode;
    bool quiet = false;
    bool json = false;
    ConditioningOptions conditioning;
};

std::vector<float> parse_cond(std::string_view text)
{
    try {
        std::vector<float> values = parse_cond_option(text);
        check_cond_count(values, 5);
        return values;
    } catch (const CondOptionError& e) {
        throw UsageError(e.what());
    }
}

StylizeArgs parse_args(const std::vector<std::string>& args)
{
    StylizeArgs a;
    std::vector<std::string> positional;
    for (ArgCursor cursor(args); cursor.next();) {
        const std::string_view arg = cursor.arg();
        auto value = [&]() -> std::string { return cursor.value(); };
        if (a.conditioning.parse(cursor))
            continue;
        if (arg == "--model")
            a.model = value();
        else if (arg == "--cond")
            a.cond = parse_cond(value());
        else if (arg == "--cond-track")
            a.cond_track = value();
        else if (arg == "--audio")
            a.audio = value();
        else if (arg == "--audio-offset")
            a.audio_offset = parse_number_option(arg, value(), 0.0, 1e7, false);
        else if (arg == "--strength")
            a.strength = static_cast<float>(parse_number_option(arg, value(), 0.0, 1.0, false));
        else if (arg == "--feedback") {
            const std::string v = value();
            if (v != "0" && v != "1")
                throw UsageError("--feedback is 0 or 1");
            a.feedback = v == "1";
        } else if (arg == "--gpu")
            a.gpu = value();
        else if (arg == "--hwdec") {
            try {
                a.transcode.hwdec = parse_hwdec(value());
            } catch (const VideoError& e) {
                throw UsageError(e.what());
            }
        }
        else if (arg == "--encoder")
            a.transcode.encoder = value();
        else if (arg == "--pix-fmt")
            a.transcode.pixel_format = value();
        else if (arg == "--crf")
            a.transcode.crf = parse_number_option(arg, value(), 0.0, 63.0, false);
        else if (arg == "-x") {
            try {
                a.transcode.encoder_options.push_back(parse_encoder_option(value()));
            } catch (const VideoError& e) {
                throw UsageError(e.what());
            }
        } else if (arg == "-y")
            a.transcode.overwrite = true;
        else if (arg == "--quiet")
            a.quiet = true;
        else if (arg == "--progress") {
            const std::string v = value();
            if (v != "json" && v != "line")
                throw UsageError("--progress is json or line");
            a.json = v == "json";
        } else if (arg != "-" && arg.size() > 1 && arg.starts_with("-"))
            throw UsageError(fmt::format("unknown option {}", excerpt(arg)));
        else
            positional.emplace_back(arg);
    }
    if (positional.size() != 2)
        throw UsageError("stylize needs IN and OUT");
    a.input = positional[0];
    a.output = positional[1];
    a.conditioning.validate();
    const bool audio_options = a.conditioning.bpm || a.conditioning.beats_file || a.conditioning.reactivity;
    if (a.cond && (a.cond_track || audio_options))
        throw UsageError("--cond fixes the conditioning: it does not go with --cond-track, --bpm, --beats or --reactivity");
    if (a.cond_track && audio_options)
        throw UsageError("--cond-track gives every value: it does not go with --bpm, --beats or --reactivity "
                         "(give those to `cnnv3 analyze`)");
    if (a.audio_offset && !a.audio)
        throw UsageError("--audio-offset goes with --audio");
    if (a.audio && *a.audio == "-" && a.input == "-")
        throw UsageError("--audio - and IN - would both read standard input: give one of them as a file");
    a.transcode.input = a.input;
    a.transcode.output = a.output;
    if (a.audio) {
        a.transcode.audio_input = *a.audio;
        a.transcode.audio_offset = a.audio_offset.value_or(0.0);
    }
    return a;
}

// Where each frame's conditioning comes from.
using ConditioningAt = std::function<std::array<float, 5>(double time, double frame_duration)>;

// The device's warnings (the software-renderer note) wait for the first frame: an input refused
// before it, or an encoder that then fails to open, gets its one line and nothing else.
struct HeldWarnings {
    std::mutex mutex;
    bool holding = true;
    std::vector<std::string> lines;
};

// What the GPU stage runs on: the device, the network and the planes' passes.
struct GpuParts {
    std::unique_ptr<GpuContext> gpu;  // first: destroyed after the runner and the planes
    std::unique_ptr<NetworkRunner> runner;
    std::unique_ptr<FramePlanesGpu> planes;
};

// The GPU's set-up (Vulkan instance and device, the network's plan; about 0.3 s on an H100,
// bench/RESULTS.md) on a thread of its own, started before the audio analysis, so that it overlaps
// that, the input's opening and the first frame's decoding instead of waiting for them.
// NetworkProcessor::start() takes the result and rethrows a failure there, at the first frame, where
// a device problem was always reported (after any problem of the input). The thread takes no
// asynchronous signals (Ctrl-C reaches the caller's thread and its reads, as before); the future's
// destructor waits for it (`model` must outlive the future).
std::future<GpuParts> set_up_gpu(GpuOptions options, const Model& model, std::shared_ptr<HeldWarnings> held)
{
    options.warn = [held, warn = options.warn](const std::string& m) {
        std::lock_guard lock(held->mutex);
        if (held->holding)
            held->lines.push_back(m);
        else if (warn)
            warn(m);
    };
    sigset_t previous;
    block_async_signals(&previous);  // the new thread inherits the mask
    std::future<GpuParts> parts = std::async(std::launch::async, [options = std::move(options), &model] {
        GpuParts p;
        p.gpu = std::make_unique<GpuContext>(options);
        p.runner = std::make_unique<NetworkRunner>(*p.gpu, model);
        p.planes = std::make_unique<FramePlanesGpu>(*p.gpu, *p.runner);
        p.planes->lend_output(true);  // the encoder takes the staging buffers: no copy out (frame_processor.h)
        return p;
    });
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return parts;
}

// Every frame through the network on the GPU set up by set_up_gpu().
class NetworkProcessor : public FrameProcessor {
public:
    NetworkProcessor(std::future<GpuParts> gpu_parts, std::shared_ptr<HeldWarnings> held,
                     std::function<void(const std::string&)> warn, ConditioningAt cond, float strength,
                     bool feedback, std::string input_name)
        : warn_(std::move(warn)), cond_(std::move(cond)), strength_(strength), feedback_(feedback),
          input_name_(std::move(input_name)), held_(std::move(held)), gpu_parts_(std::move(gpu_parts)) {}

    void start(const VideoStreamInfo& info) override
    {
        frame_duration_ = info.frame_rate > 0.0 ? 1.0 / info.frame_rate : 1.0 / 30.0;
        GpuParts parts = gpu_parts_.get();  // waits for set_up_gpu(); rethrows its failure
        gpu_ = std::move(parts.gpu);
        runner_ = std::move(parts.runner);
        planes_ = std::move(parts.planes);
        if (const std::string problem = runner_->frame_size_problem(info.width, info.height); !problem.empty())
            throw VideoError(input_name_, problem + " (expected a smaller video; scale it down first)");
    }

    // Every frame stays on the GPU (frame_planes_gpu.h), the output's format differing from the
    // input's or not; a format or matrix it cannot take is refused in one line (docs/video.md).
    bool process_native(const AVFrame& in, AVFrame& out, double time, int64_t index) override
    {
        submit_native(in, out, time, index);
        collect_native();
        return true;
    }

    // The decoder decodes into the GPU's staging buffers: no copy on the way in (frame_planes_gpu.h).
    // $CNNV3_DECODE_BUFFERS=0 turns that off (FFmpeg's buffers, copied), for comparisons (docs/video.md).
    DecodeBufferSource decode_buffers() override
    {
        if (environment_is("CNNV3_DECODE_BUFFERS", "0"))
            return {};
        return [planes = planes_.get()](std::size_t size) { return planes->take_decode_buffer(size); };
    }

    // The scene-cut thumbnail is made on the pipeline's prepare stage, off the GPU stage's thread
    // (frame_input.h).
    void prepare_decoded(AVFrame& frame) override
    {
        if (!feedback_)
            return;
        if (frame.format != decode_format_.first)  // a format submit_native() refuses gets no thumbnail
            decode_format_ = {frame.format, gpu_format_problem(frame.format).empty()};
        if (decode_format_.second) {
            const auto t0 = std::chrono::steady_clock::now();
            attach_thumbnail(frame, decode_thumb_scratch_);
            thumbnail_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
    }

    // $CNNV3_STAGE_TIMES=1: where the GPU stage's submit and collect went (FramePlanesGpu::StepTimes)
    // and the prepare stage's thumbnails, ms a frame; "" before the first frame.
    std::string step_times() const
    {
        if (!planes_ || planes_->step_times().frames == 0)
            return "";
        const FramePlanesGpu::StepTimes& t = planes_->step_times();
        const double ms = 1000.0 / static_cast<double>(t.frames);
        return fmt::format("GPU stage steps over {} frames, ms a frame: upload {:.3f}, "
                           "decode pass {:.3f}, network {:.3f}, encode passes and downloads {:.3f}, GPU submit {:.3f}, "
                           "wait for downloads {:.3f}, hand-over {:.3f}; scene thumbnails (prepare stage) {:.3f}",
                           t.frames, t.upload * ms, t.decode * ms, t.network * ms, t.encode * ms,
                           t.flush * ms, t.wait * ms, t.hand_over * ms, thumbnail_seconds_ * ms);
    }

    // Frames in flight: the next frame uploads while the GPU works on this one.
    int native_in_flight() const override { return FramePlanesGpu::frames_in_flight; }
    void collect_native() override
    {
        if (planes_)
            planes_->collect();
    }

    bool submit_native(const AVFrame& in, AVFrame& out, double time, int64_t /*index*/) override
    {
        // What depends only on the stream's formats and tags is checked and derived when they change.
        if (in.format != checked_formats_[0] || out.format != checked_formats_[1]) {
            if (const std::string problem = gpu_format_problem(in.format); !problem.empty())
                throw VideoError(input_name_, fmt::format("pixel format \"{}\" is not supported ({}; expected integer "
                                                          "YUV, gray or RGB of 8-16 bits)",
                                                          pixel_format_name(static_cast<AVPixelFormat>(in.format)), problem));
            if (const std::string problem = gpu_format_problem(out.format, true); !problem.empty())
                throw VideoError(input_name_, fmt::format("output pixel format \"{}\" cannot be written ({}; expected "
                                                          "another --pix-fmt)",
                                                          pixel_format_name(static_cast<AVPixelFormat>(out.format)),
                                                          problem));
            checked_formats_ = {in.format, out.format};
        }
        const PlaneColor& in_color = in_color_.of(in, input_name_);
        const PlaneColor& out_color = out_color_.of(out, input_name_);
        release_warnings();
        const std::array<float, 5> c = cond_(time, frame_duration_);
        bool use_prev = false;  // no thumbnail to make without feedback
        if (feedback_) {
            const LumaThumbnail* made = attached_thumbnail(in);  // by prepare_decoded()
            use_prev = follows(made ? *made : frame_thumbnail(in, thumb_scratch_));
        }
        planes_->submit(in, in_color, out, out_color, c, strength_, use_prev);
        return true;
    }

private:
    // Whether the frame with thumbnail `current` takes the previous frame's output as prev.rgb:
    // with feedback on, not the first frame, not a scene cut (scene_cut.h).
    bool follows(const LumaThumbnail& current)
    {
        const bool follows = feedback_ && last_thumb_ && !is_scene_cut(*last_thumb_, current);
        last_thumb_ = current;
        return follows;
    }

    void release_warnings()
    {
        std::lock_guard lock(held_->mutex);
        if (held_->holding) {
            held_->holding = false;
            for (const std::string& m : held_->lines)
                if (warn_)
                    warn_(m);
        }
    }

    std::function<void(const std::string&)> warn_;
    ConditioningAt cond_;
    float strength_;
    bool feedback_;
    std::string input_name_;
    std::optional<LumaThumbnail> last_thumb_;  // the previous frame's (scene_cut.h)
    std::shared_ptr<HeldWarnings> held_;
    double frame_duration_ = 1.0 / 30.0;
    std::unique_ptr<GpuContext> gpu_;        // declared before the runner: destroyed after it
    std::unique_ptr<NetworkRunner> runner_;
    std::unique_ptr<FramePlanesGpu> planes_;  // after the runner: destroyed before it
    ThumbnailScratch thumb_scratch_;  // frame_thumbnail()'s, kept between frames (the process stage's)
    ThumbnailScratch decode_thumb_scratch_;  // prepare_decoded()'s (the prepare stage's thread)
    double thumbnail_seconds_ = 0;  // prepare_decoded()'s, summed
    std::pair<int, bool> decode_format_{-2, false};  // prepare_decoded()'s: the last format, and whether the GPU reads it
    std::array<int, 2> checked_formats_{-2, -2};  // the input and output formats gpu_format_problem() took
    StreamPlaneColor in_color_, out_color_;
    std::future<GpuParts> gpu_parts_;  // set_up_gpu()'s, taken by start()
};

// $CNNV3_STAGE_TIMES=1 (docs/video.md): where the time went, ms a frame, the pipeline's stages
// (TranscodeResult::stage_times) and then the GPU stage's steps (NetworkProcessor::step_times).
void print_stage_times(const TranscodeResult& result, const NetworkProcessor& processor, std::ostream& err)
{
    if (result.frames <= 0)
        return;
    const TranscodeResult::StageTimes& t = result.stage_times;
    const double ms = 1000.0 / static_cast<double>(result.frames);
    err << fmt::format("cnnv3: stage times over {} frames, ms a frame: wall {:.3f}, decode busy {:.3f}, prepare busy "
                       "{:.3f}, process busy {:.3f} (submit {:.3f}, collect {:.3f}), encode busy {:.3f}; the "
                       "processor's start {:.1f} ms, the first frame's submit {:.1f} ms; {} frames decoded into the "
                       "processor's buffers\n",
                       result.frames, t.wall * ms, t.decode * ms, t.prepare * ms, t.process * ms, t.submit * ms,
                       t.collect * ms, t.encode * ms, t.start * 1000.0, t.first_submit * 1000.0,
                       result.decoded_into_processor);
    if (const std::string steps = processor.step_times(); !steps.empty())
        err << "cnnv3: " << steps << "\n";
}

std::string format_eta(double s)
{
    if (s < 0)
        return "?";
    const int t = static_cast<int>(std::lround(s));
    return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60) : fmt::format("{}:{:02}", t / 60, t % 60);
}

}  // namespace

int stylize_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    for (const std::string& arg : args)
        if (arg == "-h" || arg == "--help") {
            out << stylize_usage;
            return 0;
        }
    StylizeArgs a = parse_args(args);
    // Before any work: OUT must not be a file this run reads, nor an existing file without -y.
    refuse_same_file(a.output == "-" ? "/dev/stdout" : a.output, a.input);  // `- >> IN` would never end
    if (a.cond_track)
        refuse_same_file(a.output, *a.cond_track, "the --cond-track file");
    if (a.conditioning.beats_file)
        refuse_same_file(a.output, *a.conditioning.beats_file, "the --beats file");
    if (a.audio)
        refuse_same_file(a.output, *a.audio, "the --audio file");
    if (a.output != "-")
        check_output_file(a.output, a.transcode.overwrite);
    const std::filesystem::path model_dir = find_model(a.model);
    refuse_model_files(a.output, model_dir);
    // An output that cannot hold the video (.mp3) is refused before the model loads and the audio is analysed.
    output_container(a.output, a.transcode.output_format, output_media_name(a.output));
    const Model model = load_model(model_dir);
    GpuOptions gpu_options;
    gpu_options.device = a.gpu;
    const auto warn = [&err](const std::string& m) { err << "cnnv3: " << m << "\n"; };
    gpu_options.warn = warn;
    auto held_warnings = std::make_shared<HeldWarnings>();
    std::future<GpuParts> gpu_parts = set_up_gpu(gpu_options, model, held_warnings);
    StopSignals stop_signals;  // from here: Ctrl-C, SIGTERM, SIGHUP also stop buffering a piped input
    std::optional<SpooledInput> spooled;  // outlive the transcode, which reads the copies
    std::optional<SpooledInput> audio_spooled;

    // Conditioning: fixed, from a track file, or from the input's audio.
    ConditioningAt cond_at;
    std::string cond_note;
    if (a.cond) {
        const std::vector<float> c = *a.cond;
        cond_at = [c](double, double) { return std::array<float, 5>{c[0], c[1], c[2], c[3], c[4]}; };
        cond_note = fmt::format("fixed conditioning {}", fmt::join(c, ","));
    } else if (a.cond_track) {
        auto track = std::make_shared<ConditioningTrack>(read_conditioning_csv(*a.cond_track));
        if (track->size() == 0)
            throw ConditioningFileError(*a.cond_track, 0, "no frames");
        cond_at = [track](double t, double dt) { return track->at_time(t, 0.5 * dt).cond(); };
        cond_note = fmt::format("conditioning from {}", *a.cond_track);
    } else {
        // The audio is analysed before the frames are read: an input that cannot be read twice (a
        // pipe, stdin) is copied once first, unless it is y4m (no audio) or the music comes from
        // --audio. The frames are then read from the copy (docs/video.md).
        std::optional<DecodedAudio> audio;
        std::optional<MediaInfo> info;
        const bool streamed = a.audio || (a.input == "-" && is_y4m_pipe(a.input, STDIN_FILENO, &stop_requested));
        if (!streamed || is_rereadable(a.input, STDIN_FILENO)) {
            spooled.emplace(a.input, STDIN_FILENO, &stop_requested, err);
            if (spooled->stopped()) {
                err << fmt::format("cnnv3: {}: stopped by {} while buffering the input (no output written)\n",
                                   spooled->name(), signal_description(stop_signal.load()));
                return 128 + stop_signal.load();
            }
            info = probe_media(*spooled, FrameCount::stored);  // the count is not used: no pass over the file
            // An input without a video stream (audio only, a cover picture only) is refused before its
            // audio is analysed, whose notes would come before the refusal: opened as the transcoder
            // opens it, for the transcoder's one message.
            if (!info->has_video)
                open_media_input(spooled->path(), "", STDIN_FILENO, &stop_requested, spooled->name());
            try {
                if (info->has_audio && !a.audio)
                    audio = decode_audio(*spooled);
            } catch (const NoAudioStream&) {
                // An audio stream without samples: as without audio (the fallback below says so).
            }
            a.transcode.input = spooled->path();
            a.transcode.input_name = spooled->name();
        }
        if (a.audio) {
            // FILE is read twice too (analysis, then its packets for the output).
            audio_spooled.emplace(*a.audio, STDIN_FILENO, &stop_requested, err);
            if (audio_spooled->stopped()) {
                err << fmt::format("cnnv3: {}: stopped by {} while buffering the audio (no output written)\n",
                                   audio_spooled->name(), signal_description(stop_signal.load()));
                return 128 + stop_signal.load();
            }
            a.transcode.audio_input = audio_spooled->path();
            a.transcode.audio_input_name = audio_spooled->name();
            // FILE's moment --audio-offset plays with the first video frame (as the transcoder muxes it).
            audio = decode_audio(*audio_spooled);
            audio->start_time += (info ? info->video_start : 0.0) - a.audio_offset.value_or(0.0);
        }
        // Without audio (or beats) the sources give the model's default_cond for what they lack, as
        // in `cnnv3 analyze` (ConditioningSources); the note says so.
        const double start = info ? std::min(info->video_start, audio ? audio->start_time : info->video_start) : 0.0;
        const double end = info ? std::max(info->duration, start + 1.0) : 1e6;
        std::string beats_from;
        auto sources = std::make_shared<ConditioningSources>(
            build_conditioning_sources(media_name(a.audio ? *a.audio : a.input), a.conditioning, model.default_cond,
                                       audio, start, end, beats_from, err));
        cond_at = [sources](double t, double dt) { return sources->at(t, dt); };
        if (audio || !beats_from.empty())
            cond_note = fmt::format("conditioning from the audio{} (beats {}, {} found)",
                                    a.audio ? " of " + media_name(*a.audio) : "", beats_from, sources->beats.beats().size());
        else
            cond_note = fmt::format("{}: the model's default_cond {}",
                                    info ? "no audio stream" : "y4m on standard input carries no audio to analyse",
                                    fmt::join(model.default_cond, ","));
    }

    // A signal during the audio analysis (which runs to its end) stops the run here, as one while
    // buffering does: the transcoder would otherwise fail to open the input ("Immediate exit requested").
    if (stop_requested.load()) {
        err << fmt::format("cnnv3: {}: stopped by {} while analysing the audio (no output written)\n",
                           media_name(a.audio ? *a.audio : a.input), signal_description(stop_signal.load()));
        return 128 + stop_signal.load();
    }

    NetworkProcessor processor(std::move(gpu_parts), held_warnings, warn, cond_at, a.strength, a.feedback,
                               media_name(a.input));

    if (!a.quiet) {
        const bool terminal = isatty(STDERR_FILENO) != 0;
        a.transcode.progress = [&err, json = a.json, terminal](const TranscodeProgress& p) {
            if (!json && !terminal && !p.finished)
                return;  // a log file gets the summary line, not a carriage-return animation
            if (json) {
                err << fmt::format("{{\"frames\": {}, \"total\": {}, \"fps\": {:.2f}, \"eta\": {:.1f}, \"time\": {:.3f}, "
                                   "\"finished\": {}}}\n",
                                   p.frames_done, p.frames_total, p.fps, p.eta_seconds, p.media_time,
                                   p.finished ? "true" : "false");
            } else {
                err << fmt::format("\rframe {}{}  {:.1f} fps  ETA {}   ", p.frames_done,
                                   p.frames_total > 0 ? fmt::format("/{}", p.frames_total) : "", p.fps,
                                   format_eta(p.eta_seconds));
                if (p.finished)
                    err << "\n";
            }
            err.flush();
        };
    }
    a.transcode.stop = &stop_requested;
    TranscodeResult result;
    try {
        result = transcode_video(a.transcode, processor);
    } catch (const StoppedBeforeOutput& e) {
        // Ctrl-C while an input was being opened (a pipe whose writer has sent nothing yet): the
        // stop, as at the other stages, not a file that cannot be opened.
        const int signal = stop_signal.load();  // stored before stop_requested (on_stop_signal)
        err << fmt::format("cnnv3: {}: stopped by {} before the first video frame (no output written)\n", e.file(),
                           signal_description(signal));
        return 128 + signal;
    }
    if (environment_is("CNNV3_STAGE_TIMES", "1"))
        print_stage_times(result, processor, err);
    const int signal = stop_signal.load();
    for (const std::string& note : result.notes)
        err << fmt::format("cnnv3: {}: {}\n", a.output, note);
    if (!a.quiet)
        err << fmt::format("cnnv3: {}: {} frames, {} {} {} ({}), model {}, {}, colours converted on the GPU{}\n",
                           result.output, result.frames, result.container, result.encoder, result.pixel_format,
                           result.encoder_reason, model.name, cond_note,
                           result.stopped ? fmt::format("; stopped early by {}, the file is complete up to there",
                                                        signal_description(signal))
                                          : "");
    // The shell's convention for a run ended by a signal: 128 + its number (130 for Ctrl-C).
    return result.stopped ? 128 + (signal ? signal : SIGINT) : 0;
}

}  // namespace cnnv3::cli
