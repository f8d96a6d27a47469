#include "stylize_filter.h"

#include "audio_node_pcm.h"
#include "clip_conditioning.h"
#include "core_gpu.h"
#include "frame_view.h"
#include "stylize_options.h"

#include "conditioning_sources.h"
#include "frame_input.h"
#include "frame_planes_gpu.h"
#include "half.h"
#include "model.h"
#include "model_search.h"
#include "network_runner.h"
#include "scene_cut.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace cnnv3::vs {

const char* const stylize_arguments =
    "clip:vnode;model:data:opt;audio:anode:opt;beat_phase:float:opt;beat_norm:float:opt;"
    "audio_intensity:float:opt;style0:float:opt;style1:float:opt;strength:float:opt;bpm:float:opt;"
    "offset:float:opt;beats:data:opt;cond_track:data:opt;gpu:int:opt;reactivity:float:opt;feedback:int:opt;";

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
    std::unique_ptr<FramePlanesGpu> planes;  // the same; made at the first frame, destroyed before the runner
    ClipConditioning conditioning;
    float strength = 1.0f;
    // Temporal feedback (docs/vapoursynth.md, "Temporal feedback"): frame n takes frame n-1's
    // network output from this node's own frame n-1 (its props), so the result is the same in any
    // request order. `node` is this filter's node, not owned (the node owns this instance).
    bool feedback = true;
    VSNode* node = nullptr;

    ~StylizeInstance()
    {
        if (runner) {
            const std::lock_guard guard(gpu->lock);
            planes.reset();
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

// The frame props that carry a frame's feedback state to the next frame: its network output before
// the strength mix (RGB, planar IEEE half: the network's rgba16f output exactly, so frame n+1 is
// fed what `cnnv3 stylize` feeds it) and its luma thumbnail (scene_cut.h).
constexpr const char* network_output_prop = "CNNv3NetworkOutput";
constexpr const char* thumbnail_prop = "CNNv3LumaThumbnail";

std::string network_output_bytes(const Planes& net)
{
    std::string bytes(net.data.size() * 2, '\0');
    for (std::size_t i = 0; i < net.data.size(); ++i) {
        const std::uint16_t v = float_to_half(net.data[i]);
        std::memcpy(bytes.data() + 2 * i, &v, 2);
    }
    return bytes;
}

// Frame n-1's feedback state, read from its props; false when it is missing or of another size.
bool read_previous(const VSFrame* frame, const VSAPI* vsapi, int width, int height, Planes& net, LumaThumbnail& thumb)
{
    const VSMap* props = vsapi->getFramePropertiesRO(frame);
    int err = 0;
    const char* data = vsapi->mapGetData(props, network_output_prop, 0, &err);
    const int size = err ? 0 : vsapi->mapGetDataSize(props, network_output_prop, 0, &err);
    const char* t = vsapi->mapGetData(props, thumbnail_prop, 0, &err);
    const int tsize = err ? 0 : vsapi->mapGetDataSize(props, thumbnail_prop, 0, &err);
    net = Planes(3, height, width);
    if (!data || !t || static_cast<std::size_t>(size) != net.data.size() * 2 ||
        static_cast<std::size_t>(tsize) != sizeof(thumb.cells))
        return false;
    for (std::size_t i = 0; i < net.data.size(); ++i) {
        std::uint16_t v;
        std::memcpy(&v, data + 2 * i, 2);
        net.data[i] = half_to_float(v);
    }
    std::memcpy(thumb.cells.data(), t, sizeof(thumb.cells));
    return true;
}

const VSFrame* VS_CC stylize_get_frame(int n, int activation, void* instance_data, void** /*frame_data*/,
                                       VSFrameContext* ctx, VSCore* core, const VSAPI* vsapi)
{
    auto& self = *static_cast<StylizeInstance*>(instance_data);
    const bool follows = self.feedback && n > 0;  // frame n-1 of this node gives prev.rgb
    if (activation == arInitial) {
        vsapi->requestFrameFilter(n, self.clip.get(), ctx);
        if (follows)
            vsapi->requestFrameFilter(n - 1, self.node, ctx);
        return nullptr;
    }
    if (activation != arAllFramesReady)
        return nullptr;
    FrameRef source(vsapi->getFrameFilter(n, self.clip.get(), ctx), {vsapi});
    FrameRef before(follows ? vsapi->getFrameFilter(n - 1, self.node, ctx) : nullptr, {vsapi});
    try {
        const Conditioning& cond = self.conditioning.at(n);
        const FrameView in(source.get(), vsapi);
        const PlaneColor color = plane_color(in.frame(), "clip");
        thread_local ThumbnailScratch scratch;  // one per worker thread
        // The scene thumbnail serves feedback alone (compared with frame n-1's, kept for frame n+1).
        const LumaThumbnail thumb = self.feedback ? frame_thumbnail(in.frame(), scratch) : LumaThumbnail{};
        // prev.rgb: frame n-1's network output, or 0 on frame 0, after a scene cut, or without feedback.
        Planes prev;
        LumaThumbnail prev_thumb;
        const bool use_prev = before && read_previous(before.get(), vsapi, self.info.width, self.info.height, prev,
                                                      prev_thumb) &&
                              !is_scene_cut(prev_thumb, thumb);
        before.reset();
        VSFrame* out = vsapi->newVideoFrame(&self.info.format, self.info.width, self.info.height, source.get(), core);
        FrameRef owned(out, {vsapi});  // freed if anything below throws
        FrameView out_view(out, in, vsapi);
        Planes net;
        {
            const std::lock_guard guard(self.gpu->lock);
            if (!self.planes)
                self.planes = std::make_unique<FramePlanesGpu>(self.gpu->context, *self.runner);
            // The network output comes back only where the next frame takes it as prev.
            self.planes->process(in.frame(), color, out_view.frame(), color, cond, self.strength,
                                 use_prev ? &prev : nullptr, self.feedback ? &net : nullptr);
        }
        out_view.store(out, vsapi);
        VSMap* props = vsapi->getFramePropertiesRW(out);
        if (self.feedback) {
            const std::string bytes = network_output_bytes(net);
            vsapi->mapSetData(props, network_output_prop, bytes.data(), static_cast<int>(bytes.size()), dtBinary,
                              maReplace);
            vsapi->mapSetData(props, thumbnail_prop, reinterpret_cast<const char*>(thumb.cells.data()),
                              static_cast<int>(sizeof(thumb.cells)), dtBinary, maReplace);
        }
        vsapi->mapSetInt(props, "CNNv3PrevUsed", use_prev ? 1 : 0, maReplace);
        vsapi->mapSetFloat(props, "CNNv3BeatPhase", cond[0], maReplace);
        vsapi->mapSetFloat(props, "CNNv3BeatNorm", cond[1], maReplace);
        vsapi->mapSetFloat(props, "CNNv3AudioIntensity", cond[2], maReplace);
        vsapi->mapSetFloat(props, "CNNv3StyleP0", cond[3], maReplace);
        vsapi->mapSetFloat(props, "CNNv3StyleP1", cond[4], maReplace);
        return owned.release();
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
        if (view_pixel_format(vi.format) == AV_PIX_FMT_NONE) {
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

        self->feedback = options.feedback;
        const VSFilterDependency deps[] = {{self->clip.get(), rpStrictSpatial}};
        StylizeInstance* instance = self.get();
        VSNode* node = vsapi->createVideoFilter2("Stylize", &vi, stylize_get_frame, stylize_free, fmParallel, deps, 1,
                                                 instance, core);
        self.release();  // owned by the node now; stylize_free deletes it
        if (!node)
            throw std::runtime_error("VapourSynth refused to create the filter");
        instance->node = node;  // a weak reference: the node owns the instance
        // Frame n asks for frame n-1 of this node: keep recent frames cached so that sequential
        // access runs the network once per frame.
        if (instance->feedback)
            vsapi->setCacheMode(node, cmForceEnable);
        vsapi->mapConsumeNode(out, "clip", node, maAppend);
    } catch (const std::exception& e) {
        vsapi->mapSetError(out, fmt::format("Stylize: {}", e.what()).c_str());
    }
}

}  // namespace cnnv3::vs
