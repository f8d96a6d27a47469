#include "stylize_options.h"

#include "conditioning_names.h"
#include "conditioning_track.h"

#include <fmt/format.h>

#include <cmath>

namespace cnnv3::vs {

namespace {

std::optional<double> get_float(const VSMap* in, const VSAPI* vsapi, const char* key)
{
    int err = 0;
    const double v = vsapi->mapGetFloat(in, key, 0, &err);
    if (err)
        return std::nullopt;
    if (!std::isfinite(v))
        throw StylizeArgumentError(key, fmt::format("{} is not a finite number", v));
    return v;
}

std::optional<float> get_unit(const VSMap* in, const VSAPI* vsapi, const char* key)
{
    const std::optional<double> v = get_float(in, vsapi, key);
    if (!v)
        return std::nullopt;
    if (*v < 0.0 || *v > 1.0)
        throw StylizeArgumentError(key, fmt::format("{} is outside [0, 1]", *v));
    return static_cast<float>(*v);
}

std::optional<std::string> get_text(const VSMap* in, const VSAPI* vsapi, const char* key)
{
    int err = 0;
    const char* data = vsapi->mapGetData(in, key, 0, &err);
    if (err || !data)
        return std::nullopt;
    return std::string(data, static_cast<std::size_t>(vsapi->mapGetDataSize(in, key, 0, &err)));
}

}  // namespace

StylizeOptions read_stylize_options(const VSMap* in, const VSAPI* vsapi)
{
    StylizeOptions o;
    o.model = get_text(in, vsapi, "model").value_or("");
    o.beat_phase = get_unit(in, vsapi, "beat_phase");
    o.beat_norm = get_unit(in, vsapi, "beat_norm");
    o.audio_intensity = get_unit(in, vsapi, "audio_intensity");
    o.style0 = get_unit(in, vsapi, "style0");
    o.style1 = get_unit(in, vsapi, "style1");
    o.strength = get_unit(in, vsapi, "strength").value_or(1.0f);
    const std::optional<double> reactivity = get_float(in, vsapi, "reactivity");
    if (reactivity && !(*reactivity >= 0.0 && *reactivity <= max_reactivity))
        throw StylizeArgumentError("reactivity", fmt::format("{} is outside [0, {}]", *reactivity, max_reactivity));
    o.reactivity = static_cast<float>(reactivity.value_or(1.0));
    o.bpm = get_float(in, vsapi, "bpm");
    if (o.bpm && !(*o.bpm >= min_bpm && *o.bpm <= max_bpm))
        throw StylizeArgumentError("bpm", fmt::format("{} is not a tempo in [{}, {}]", *o.bpm, min_bpm, max_bpm));
    const std::optional<double> offset = get_float(in, vsapi, "offset");
    if (offset && !o.bpm && *offset != 0.0)
        throw StylizeArgumentError("offset", "goes with bpm");
    if (offset && std::abs(*offset) > max_beat_offset)
        throw StylizeArgumentError("offset", fmt::format("{} is not in [{}, {}] seconds", *offset, -max_beat_offset,
                                                         max_beat_offset));
    o.offset = offset.value_or(0.0);
    o.beats = get_text(in, vsapi, "beats");
    o.cond_track = get_text(in, vsapi, "cond_track");
    if (o.bpm && o.beats)
        throw StylizeArgumentError("beats", "give either bpm or beats, not both");
    o.has_audio = vsapi->mapNumElements(in, "audio") > 0;
    if (o.cond_track && (o.has_audio || o.bpm || o.beats || reactivity))
        throw StylizeArgumentError("cond_track", "holds all five values: give it without audio, bpm, beats or "
                                                 "reactivity (`cnnv3 analyze --reactivity` applies it)");
    int err = 0;
    const int64_t feedback = vsapi->mapGetInt(in, "feedback", 0, &err);
    if (!err) {
        if (feedback != 0 && feedback != 1)
            throw StylizeArgumentError("feedback", fmt::format("{} is not 0 or 1", feedback));
        o.feedback = feedback == 1;
    }
    err = 0;
    const int64_t gpu = vsapi->mapGetInt(in, "gpu", 0, &err);
    if (!err) {
        if (gpu < -1 || gpu > 1000)
            throw StylizeArgumentError("gpu", fmt::format("{} is not a device index (-1 picks one)", gpu));
        o.gpu = static_cast<int>(gpu);
    }
    return o;
}

}  // namespace cnnv3::vs
