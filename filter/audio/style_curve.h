// style_p0 / style_p1 of SPEC §6: a value the user sets, constant or keyframed.
//
// Text form (the --style0/--style1 options): either one number "V", or keys "t:v,t:v,..." with
// times in seconds (strictly increasing) and values in [0, 1]. Between keys the value is linearly
// interpolated; before the first key it is the first value, after the last key the last value.
#pragma once

#include <stdexcept>
#include <string_view>
#include <vector>

namespace cnnv3 {

// A style value that could not be parsed; what() is one line naming the offending text.
class StyleCurveError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

class StyleCurve {
public:
    // One key of a keyframed curve.
    struct Key {
        double time = 0.0;   // seconds
        float value = 0.0f;  // in [0, 1]
    };

    // A constant curve.
    explicit StyleCurve(float value = 0.5f);
    // Keys strictly increasing in time, values in [0, 1]; throws StyleCurveError otherwise.
    explicit StyleCurve(std::vector<Key> keys);
    // "V" or "t:v,t:v,..."; throws StyleCurveError with a message quoting the bad part.
    static StyleCurve parse(std::string_view text);

    float at(double t) const;
    const std::vector<Key>& keys() const { return keys_; }

private:
    std::vector<Key> keys_;
};

}  // namespace cnnv3
