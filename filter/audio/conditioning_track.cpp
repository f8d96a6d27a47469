#include "conditioning_track.h"

#include "small_file.h"
#include "text_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace cnnv3 {

namespace {

ConditioningFrame frame_at(std::int64_t index, double t, double fps, const ConditioningSources& s)
{
    const Conditioning c = s.at(t, 1.0 / fps);
    ConditioningFrame f;
    f.frame = index;
    f.time = t;
    f.beat_phase = c[0];
    f.beat_norm = c[1];
    f.audio_intensity = c[2];
    f.style_p0 = c[3];
    f.style_p1 = c[4];
    return f;
}

void check_fps(double fps)
{
    if (!(fps > 0.0) || !std::isfinite(fps))
        throw std::invalid_argument(fmt::format("frame rate {} (expected a positive number)", fps));
}

}  // namespace

void check_reactivity(float reactivity)
{
    if (!(reactivity >= 0.0f && reactivity <= max_reactivity))
        throw std::invalid_argument(fmt::format("reactivity {} (expected a number in [0, {}])", reactivity, max_reactivity));
}

Conditioning apply_reactivity(const Conditioning& c, const Conditioning& rest, float reactivity)
{
    check_reactivity(reactivity);
    if (reactivity == 1.0f)
        return c;  // exactly as analysed (rest + (c − rest) may round differently in the last bit)
    Conditioning out = c;
    for (int i : reactivity_scaled)  // beat_phase, audio_intensity: amplitudes; the styles are the user's
        out[i] = std::clamp(rest[i] + reactivity * (c[i] - rest[i]), 0.0f, 1.0f);
    // beat_norm is a phase: scaled, it would jump from rest + R·(1 − rest) back to rest at every
    // bar start, the snap that the periodic recipe removes. It sweeps as analysed, or rests at R = 0.
    if (reactivity == 0.0f)
        out[reactivity_phase] = rest[reactivity_phase];
    return out;
}

Conditioning rest_values(const std::vector<float>& default_cond)
{
    if (default_cond.size() != 5)
        throw std::invalid_argument(fmt::format("default_cond has {} values (expected 5)", default_cond.size()));
    return {default_cond[0], default_cond[1], default_cond[2], default_cond[3], default_cond[4]};
}

Conditioning ConditioningSources::at(double t, double frame_duration) const
{
    const bool beat = beats.has_beats();
    const Conditioning music{beat ? beats.beat_phase(t) : rest[0], beat ? beats.beat_norm(t) : rest[1],
                             intensity.has_audio() ? intensity.at(t, frame_duration) : rest[2], style0.at(t),
                             style1.at(t)};
    return apply_reactivity(music, rest, reactivity);
}

ConditioningTrack ConditioningTrack::build(const std::vector<double>& frame_times, double fps,
                                           const ConditioningSources& sources)
{
    check_fps(fps);
    std::vector<ConditioningFrame> frames;
    frames.reserve(frame_times.size());
    for (std::size_t i = 0; i < frame_times.size(); ++i) {
        if (!std::isfinite(frame_times[i]) || (i > 0 && !(frame_times[i] > frame_times[i - 1])))
            throw std::invalid_argument(fmt::format("frame {}: time {} is not after the previous frame's", i, frame_times[i]));
        frames.push_back(frame_at(static_cast<std::int64_t>(i), frame_times[i], fps, sources));
    }
    return ConditioningTrack(std::move(frames));
}

ConditioningTrack ConditioningTrack::build(double fps, std::int64_t count, double start, const ConditioningSources& sources)
{
    check_fps(fps);
    if (count < 0 || !std::isfinite(start))
        throw std::invalid_argument("a frame timeline needs a count >= 0 and a finite start");
    std::vector<ConditioningFrame> frames;
    frames.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i)
        frames.push_back(frame_at(i, start + static_cast<double>(i) / fps, fps, sources));
    return ConditioningTrack(std::move(frames));
}

const ConditioningFrame& ConditioningTrack::at_time(double t, double slack) const
{
    if (frames_.empty())
        throw std::out_of_range("empty conditioning track");
    slack = std::max(slack, 1e-6);  // CSV times carry 6 decimals: 1/24 s is written 0.041667
    const auto it = std::upper_bound(frames_.begin(), frames_.end(), t,
                                     [slack](double x, const ConditioningFrame& f) { return x + slack < f.time; });
    return it == frames_.begin() ? *it : *(it - 1);
}

std::string format_conditioning_csv(const ConditioningTrack& track)
{
    std::string out(conditioning_csv_header);
    out += '\n';
    for (const ConditioningFrame& f : track.frames())
        out += fmt::format("{},{:.6f},{},{},{},{},{}\n", f.frame, f.time, f.beat_phase, f.beat_norm, f.audio_intensity,
                           f.style_p0, f.style_p1);
    return out;
}

ConditioningTrack parse_conditioning_csv(std::string_view text, const std::string& name)
{
    static constexpr std::array<std::string_view, 7> columns = {"frame", "time", conditioning_names[0],
                                                                conditioning_names[1], conditioning_names[2],
                                                                conditioning_names[3], conditioning_names[4]};
    std::vector<ConditioningFrame> frames;
    std::size_t line_no = 0;
    bool header = false;
    for_each_line(text, [&](std::string_view raw) {
        ++line_no;
        const std::string_view line = trim(raw);
        if (!header) {
            if (line != conditioning_csv_header)
                throw ConditioningFileError(name, line_no, fmt::format("header \"{}\" (expected \"{}\")", excerpt(line),
                                                                       conditioning_csv_header));
            header = true;
            return;
        }
        if (line.empty())
            return;
        std::array<std::string_view, 7> field;
        std::string_view rest = line;
        for (std::size_t c = 0; c < field.size(); ++c) {
            const auto comma = rest.find(',');
            if ((comma == std::string_view::npos) != (c + 1 == field.size()))
                throw ConditioningFileError(name, line_no, "expected 7 comma-separated fields (" +
                                                               std::string(conditioning_csv_header) + ")");
            field[c] = trim(rest.substr(0, comma));
            if (comma != std::string_view::npos)
                rest.remove_prefix(comma + 1);
        }
        ConditioningFrame f;
        {
            const auto [end, ec] = std::from_chars(field[0].data(), field[0].data() + field[0].size(), f.frame);
            if (field[0].empty() || ec != std::errc() || end != field[0].data() + field[0].size())
                throw ConditioningFileError(name, line_no, fmt::format("frame \"{}\" is not an integer", excerpt(field[0])));
            const auto expected = static_cast<std::int64_t>(frames.size());
            if (f.frame != expected)
                throw ConditioningFileError(name, line_no, fmt::format("frame {} (expected {}: frames count up from 0)", f.frame, expected));
        }
        std::array<double, 6> v{};
        for (std::size_t c = 1; c < field.size(); ++c) {
            const auto [end, ec] = std::from_chars(field[c].data(), field[c].data() + field[c].size(), v[c - 1]);
            if (field[c].empty() || ec != std::errc() || end != field[c].data() + field[c].size() || !std::isfinite(v[c - 1]))
                throw ConditioningFileError(name, line_no, fmt::format("{} \"{}\" is not a finite number", columns[c], excerpt(field[c])));
            if (c >= 2 && (v[c - 1] < 0.0 || v[c - 1] > 1.0))
                throw ConditioningFileError(name, line_no, fmt::format("{} {} is not in [0, 1]", columns[c], excerpt(field[c])));
        }
        f.time = v[0];
        if (!frames.empty() && !(f.time > frames.back().time))
            throw ConditioningFileError(name, line_no, fmt::format("time {} is not after the previous frame's {:.6f} "
                                                                   "(expected increasing times)", excerpt(field[1]), frames.back().time));
        f.beat_phase = static_cast<float>(v[1]);
        f.beat_norm = static_cast<float>(v[2]);
        f.audio_intensity = static_cast<float>(v[3]);
        f.style_p0 = static_cast<float>(v[4]);
        f.style_p1 = static_cast<float>(v[5]);
        frames.push_back(f);
    });
    if (!header)
        throw ConditioningFileError(name, 0, fmt::format("empty file (expected the header \"{}\")", conditioning_csv_header));
    return ConditioningTrack(std::move(frames));
}

ConditioningTrack read_conditioning_csv(const std::filesystem::path& path)
{
    std::string text;
    try {
        text = read_small_file(path, conditioning_csv_max_bytes, "a conditioning CSV");
    } catch (const SmallFileError& e) {
        throw ConditioningFileError(e.file(), 0, e.problem());
    }
    return parse_conditioning_csv(text, path.string());
}

}  // namespace cnnv3
