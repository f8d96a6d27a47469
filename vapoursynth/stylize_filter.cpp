#include "stylize_filter.h"

#include "audio_node_pcm.h"
#include "clip_conditioning.h"
#include "core_gpu.h"
#include "frame_rgb.h"
#include "stylize_options.h"

#include "conditioning_sources.h"
#include "model.h"
#include "model_search.h"
#include "network_runner.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace cnnv3::vs {

const char* const stylize_arguments =
    "clip:vnode;model:data:opt;audio:anode:opt;beat_phase:float:opt;beat_norm:float:opt;"
    "audio_intensity:float:opt;style0:float:opt;style1:float:opt;strength:float:opt;bpm:float:opt;"
    "offset:float:opt;beats:data:opt;cond_track:data:opt;gpu:int:opt;reactivity:float:opt;";

namespace {

// A node reference that frees itself.
struct NodeRelease {
    const VSAPI* vsapi;
    void operator()(VSNode* node) const { vsapi->freeNode(node); }
};
using NodeRef = std::unique_ptr<VSNode, NodeRelease>;

// A frame reference that frees itself.
struct FrameRelease {
    const VSAPI* vsapi;
    void operator()(const VSFrame* frame) const { vsapi->freeFrame(frame); }
};
using FrameRef = std::unique_ptr<const VSFrame, FrameRelease>;

// One Stylize node: its source, its runner on the core's shared GPU, and every frame's conditioning.
struct StylizeInstance {
    NodeRef clip;
    VSVideoInfo info{};
    std::shared_ptr<CoreGpu> gpu;
    std::unique_ptr<NetworkRunner> runner;  // used and destroyed only under gpu->lock
    ClipConditioning conditioning;
    float strength = 1.0f;

    ~StylizeInstance()
    {
        if (runner) {
            const std::lock_guard guard(gpu->lock);
            runner.reset();
        }
    }
};

// Audio this much longer or shorter than the clip is refused: one frame, or 0.1 s where a frame is
// shorter (encoders pad the last audio packet).
double audio_length_tolerance(double frame_duration)
{
    return std::max(frame_duration, 0.1);
}

ClipConditioning make_conditioning(const StylizeOptions& o, VSNode* audio, const VSVideoInfo& vi, const Model& model,
                                   VSCore* core, const VSAPI* vsapi)
{
    const ConditioningOverrides overrides{o.beat_phase, o.beat_norm, o.audio_intensity, o.style0, o.style1};
    const bool needs_time = o.cond_track || audio || o.bpm || o.beats;
    if (!needs_time)
        return ClipConditioning::constant(model.default_cond, overrides);
    if (vi.fpsNum <= 0 || vi.fpsDen <= 0)
        throw StylizeArgumentError("clip", "has a variable frame rate: audio, bpm, beats and cond_track need a "
                                           "constant one (AssumeFPS can set it)");
    const double fps = static_cast<double>(vi.fpsNum) / static_cast<double>(vi.fpsDen);
    if (o.cond_track) {
        ConditioningTrack track;
        try {
            track = read_conditioning_csv(*o.cond_track);
        } catch (const std::exception& e) {
            throw StylizeArgumentError("cond_track", e.what());
        }
        if (track.size() == 0)
            throw StylizeArgumentError("cond_track", fmt::format("{}: has no rows", *o.cond_track));
        return ClipConditioning::from_file(track, vi.numFrames, fps, overrides);
    }

    std::optional<DecodedAudio> pcm;
    if (audio) {
        const VSAudioInfo& ai = *vsapi->getAudioInfo(audio);
        const double audio_s = static_cast<double>(ai.numSamples) / ai.sampleRate;
        const double clip_s = vi.numFrames / fps;
        if (std::abs(audio_s - clip_s) > audio_length_tolerance(1.0 / fps))
            throw StylizeArgumentError("audio", fmt::format("lasts {:.3f} s but the clip lasts {:.3f} s ({} frames at "
                                                            "{:.3f} fps): give the clip's own audio",
                                                            audio_s, clip_s, vi.numFrames, fps));
        try {
            pcm = read_audio_node(audio, vsapi);
        } catch (const std::exception& e) {
            throw StylizeArgumentError("audio", e.what());
        }
    }
    std::vector<double> times(static_cast<std::size_t>(vi.numFrames));
    for (int n = 0; n < vi.numFrames; ++n)  // the same times `cnnv3 analyze --fps` gives: n / fps
        times[static_cast<std::size_t>(n)] = n / fps;
    const BeatChoice beats{o.bpm, o.bpm ? std::optional<double>(o.offset) : std::nullopt, o.beats};
    std::ostringstream notes;
    std::string beats_from;
    ConditioningSources sources;
    try {
        // Styles: the model's default_cond unless style0/style1 override them (overrides below).
        const ConditioningChoice values{rest_values(model.default_cond), std::nullopt, std::nullopt, o.reactivity};
        sources = build_conditioning_sources("audio", beats, values, pcm, 0.0, vi.numFrames / fps, beats_from, notes);
    } catch (const std::exception& e) {
        throw StylizeArgumentError(o.beats ? "beats" : "audio", e.what());
    }
    std::istringstream lines(notes.str());
    for (std::string line; std::getline(lines, line);)
        vsapi->logMessage(mtInformation, line.c_str(), core);
    return ClipConditioning::per_frame(ConditioningTrack::build(times, fps, sources), overrides);
}

const VSFrame* VS_CC stylize_get_frame(int n, int activation, void* instance_data, void** /*frame_data*/,
                                       VSFrameContext* ctx, VSCore* core, const VSAPI* vsapi)
{
    auto& self = *static_cast<StylizeInstance*>(instance_data);
    if (activation == arInitial) {
        vsapi->requestFrameFilter(n, self.clip.get(), ctx);
        return nullptr;
    }
    if (activation != arAllFramesReady)
        return nullptr;
    FrameRef source(vsapi->getFrameFilter(n, self.clip.get(), ctx), {vsapi});
    try {
        thread_local FrameRgbConverter converter;  // scratch planes; one per worker thread
        Planes rgb;
        converter.to_rgb(source.get(), vsapi, rgb);
        const Conditioning& cond = self.conditioning.at(n);
        Planes stylized;
        {
            const std::lock_guard guard(self.gpu->lock);
            stylized = self.runner->run_planes(rgb, cond, self.strength);
        }
        VSFrame* out = vsapi->newVideoFrame(&self.info.format, self.info.width, self.info.height, source.get(), core);
        converter.from_rgb(stylized, source.get(), out, vsapi);
        VSMap* props = vsapi->getFramePropertiesRW(out);
        vsapi->mapSetFloat(props, "CNNv3BeatPhase", cond[0], maReplace);
        vsapi->mapSetFloat(props, "CNNv3BeatNorm", cond[1], maReplace);
        vsapi->mapSetFloat(props, "CNNv3AudioIntensity", cond[2], maReplace);
        vsapi->mapSetFloat(props, "CNNv3StyleP0", cond[3], maReplace);
        vsapi->mapSetFloat(props, "CNNv3StyleP1", cond[4], maReplace);
        return out;
    } catch (const std::exception& e) {
        vsapi->setFilterError(fmt::format("Stylize: frame {}: {}", n, e.what()).c_str(), ctx);
        return nullptr;
    }
}

void VS_CC stylize_free(void* instance_data, VSCore* /*core*/, const VSAPI* /*vsapi*/)
{
    std::unique_ptr<StylizeInstance>(static_cast<StylizeInstance*>(instance_data));
}

}  // namespace

void VS_CC create_stylize(const VSMap* in, VSMap* out, void* /*user_data*/, VSCore* core, const VSAPI* vsapi)
{
    try {
        auto self = std::make_unique<StylizeInstance>();
        self->clip = NodeRef(vsapi->mapGetNode(in, "clip", 0, nullptr), {vsapi});
        self->info = *vsapi->getVideoInfo(self->clip.get());
        const VSVideoInfo& vi = self->info;
        if (vi.width <= 0 || vi.height <= 0)
            throw StylizeArgumentError("clip", "has a variable frame size (expected one size for the whole clip)");
        if (!is_supported_format(vi.format)) {
            char name[32] = "variable";
            if (vi.format.colorFamily != cfUndefined)
                vsapi->getVideoFormatName(&vi.format, name);
            throw StylizeArgumentError("clip", fmt::format("format {} is not supported (expected {})", name,
                                                           supported_formats_text));
        }
        const StylizeOptions options = read_stylize_options(in, vsapi);
        self->strength = options.strength;

        Model model;
        try {
            model = load_model(find_model(options.model));
        } catch (const std::exception& e) {
            throw StylizeArgumentError("model", e.what());
        }

        NodeRef audio(options.has_audio ? vsapi->mapGetNode(in, "audio", 0, nullptr) : nullptr, {vsapi});
        self->conditioning = make_conditioning(options, audio.get(), vi, model, core, vsapi);

        try {
            self->gpu = CoreGpu::of(core, options.gpu, vsapi);
            const std::lock_guard guard(self->gpu->lock);
            self->runner = std::make_unique<NetworkRunner>(self->gpu->context, model);
        } catch (const std::exception& e) {
            throw StylizeArgumentError("gpu", e.what());
        }
        // Frames the GPU cannot hold are refused here, in one line, rather than by libplacebo's
        // backtrace at the first frame (the same check as `cnnv3 stylize`).
        if (const std::string problem = self->runner->frame_size_problem(vi.width, vi.height); !problem.empty())
            throw StylizeArgumentError("clip", problem + " (expected a smaller clip; resize it first)");

        const VSFilterDependency deps[] = {{self->clip.get(), rpStrictSpatial}};
        vsapi->createVideoFilter(out, "Stylize", &vi, stylize_get_frame, stylize_free, fmParallel, deps, 1,
                                 self.get(), core);
        self.release();  // owned by the node now; stylize_free deletes it
    } catch (const std::exception& e) {
        vsapi->mapSetError(out, fmt::format("Stylize: {}", e.what()).c_str());
    }
}

}  // namespace cnnv3::vs
