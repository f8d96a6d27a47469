#include "style_curve.h"

#include "excerpt.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace cnnv3 {

namespace {

double parse_number(std::string_view item, std::string_view what, std::string_view whole)
{
    double v = 0.0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || !std::isfinite(v))
        throw StyleCurveError(fmt::format("\"{}\": \"{}\" is not a {} (expected V or t:v,t:v,...)", excerpt(whole), excerpt(item), what));
    return v;
}

}  // namespace

StyleCurve::StyleCurve(float value) : StyleCurve(std::vector<Key>{{0.0, value}}) {}

StyleCurve::StyleCurve(std::vector<Key> keys) : keys_(std::move(keys))
{
    if (keys_.empty())
        throw StyleCurveError("a style curve needs at least one value");
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        if (!std::isfinite(keys_[i].time))
            throw StyleCurveError(fmt::format("style key {}: time is not finite", i));
        if (!(keys_[i].value >= 0.0f && keys_[i].value <= 1.0f))
            throw StyleCurveError(fmt::format("style key {}: value {} is not in [0, 1]", i, keys_[i].value));
        if (i > 0 && !(keys_[i].time > keys_[i - 1].time))
            throw StyleCurveError(fmt::format("style key {}: time {} is not after the previous key's {} "
                                              "(times must increase)", i, keys_[i].time, keys_[i - 1].time));
    }
}

StyleCurve StyleCurve::parse(std::string_view text)
{
    auto value_of = [&](std::string_view item) {
        const double v = parse_number(item, "value", text);
        if (v < 0.0 || v > 1.0)
            throw StyleCurveError(fmt::format("\"{}\": value {} is not in [0, 1]", excerpt(text), excerpt(item)));
        return static_cast<float>(v);
    };
    if (text.find(':') == std::string_view::npos)
        return StyleCurve(value_of(text));
    std::vector<Key> keys;
    std::string_view rest = text;
    while (true) {
        const auto comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        const auto colon = item.find(':');
        if (colon == std::string_view::npos)
            throw StyleCurveError(fmt::format("\"{}\": \"{}\" is not a time:value key", excerpt(text), excerpt(item)));
        const double t = parse_number(item.substr(0, colon), "time in seconds", text);
        const float v = value_of(item.substr(colon + 1));
        if (!keys.empty() && !(t > keys.back().time))
            throw StyleCurveError(fmt::format("\"{}\": key time {} is not after {} (times must increase)", excerpt(text),
                                              excerpt(item.substr(0, colon)), keys.back().time));
        keys.push_back({t, v});
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    return StyleCurve(std::move(keys));
}

float StyleCurve::at(double t) const
{
    if (!(t > keys_.front().time))
        return keys_.front().value;
    if (t >= keys_.back().time)
        return keys_.back().value;
    const auto next = std::upper_bound(keys_.begin(), keys_.end(), t, [](double x, const Key& k) { return x < k.time; });
    const Key& b = *next;
    const Key& a = *(next - 1);
    const double w = (t - a.time) / (b.time - a.time);
    const double v = static_cast<double>(a.value) + w * (static_cast<double>(b.value) - static_cast<double>(a.value));
    return std::clamp(static_cast<float>(v), 0.0f, 1.0f);
}

}  // namespace cnnv3
