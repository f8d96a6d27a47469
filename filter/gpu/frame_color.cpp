#include "frame_color.h"

#include "color_tags.h"

#include <string_view>

namespace cnnv3 {

std::optional<PlaneColor> plane_color(const AVFrame& frame, const std::string& source)
{
    const auto format = static_cast<AVPixelFormat>(frame.format);
    const YuvInterpretation yuv = interpret_yuv(color_tags_of(frame), format, frame.width, frame.height, source);
    PlaneColor color;
    const std::string_view matrix = yuv.matrix;
    if (matrix == "BT.601")
        color.system = PL_COLOR_SYSTEM_BT_601;
    else if (matrix == "BT.709")
        color.system = PL_COLOR_SYSTEM_BT_709;
    else if (matrix == "BT.2020")
        color.system = PL_COLOR_SYSTEM_BT_2020_NC;
    else if (matrix == "SMPTE 240M")
        color.system = PL_COLOR_SYSTEM_SMPTE_240M;
    else
        return std::nullopt;  // FCC
    color.full_range = yuv.full_range;
    color.chroma_h = static_cast<float>(yuv.chroma_h);
    color.chroma_v = static_cast<float>(yuv.chroma_v);
    return color;
}

}  // namespace cnnv3
