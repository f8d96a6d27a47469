#include "component_io.h"


extern "C" {
#include <libavutil/imgutils.h>
}

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace cnnv3 {

namespace {

bool native_endian(const AVPixFmtDescriptor& desc)
{
    const bool big = (desc.flags & AV_PIX_FMT_FLAG_BE) != 0;
    return big == (std::endian::native == std::endian::big);
}

// Components that own a whole byte, or a whole native-endian 16-bit word (16 bits, or 9-16 bits
// in a plane of their own), with no shift. Bit-packed ones (rgb565, x2rgb10, p010) are not.
bool simple_storage(const AVPixFmtDescriptor& desc, int c)
{
    const AVComponentDescriptor& comp = desc.comp[c];
    if (comp.shift != 0)
        return false;
    if (comp.depth == 8)
        return true;
    const bool owns_word = comp.depth == 16 || (comp.depth > 8 && (desc.flags & AV_PIX_FMT_FLAG_PLANAR));
    return owns_word && comp.step % 2 == 0 && comp.offset % 2 == 0 && native_endian(desc);
}

const AVPixFmtDescriptor& descriptor(const AVFrame& frame)
{
    return *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
}

// round(value * scale + offset) clamped to [0, max]; NaN -> 0. Branch-free so the loops vectorise.
inline uint32_t quantise(float value, float scale, float offset, float max)
{
    const float x = std::min(max, std::max(0.0f, value * scale + offset));  // max(0, NaN) is 0
    return static_cast<uint32_t>(x + 0.5f);
}

}  // namespace

int alpha_component(const AVPixFmtDescriptor& desc)
{
    if (!(desc.flags & AV_PIX_FMT_FLAG_ALPHA))
        return -1;
    if (desc.nb_components == 2)
        return 1;
    return desc.nb_components == 4 ? 3 : -1;
}

void read_component(const AVFrame& frame, int c, int width, int height, float offset, float scale, float* dst,
                    std::vector<uint32_t>& line)
{
    const AVPixFmtDescriptor& desc = descriptor(frame);
    const AVComponentDescriptor& comp = desc.comp[c];
    if (simple_storage(desc, c)) {
        {
            const int y0 = 0, y1 = height;
            for (int y = y0; y < y1; ++y) {
                const uint8_t* row = frame.data[comp.plane] + static_cast<std::ptrdiff_t>(y) * frame.linesize[comp.plane] + comp.offset;
                float* d = dst + static_cast<std::size_t>(y) * width;
                if (comp.depth == 8 && comp.step == 1) {
                    for (int x = 0; x < width; ++x)
                        d[x] = (static_cast<float>(row[x]) - offset) * scale;
                } else if (comp.depth == 8) {
                    for (int x = 0; x < width; ++x)
                        d[x] = (static_cast<float>(row[static_cast<std::size_t>(x) * comp.step]) - offset) * scale;
                } else if (comp.step == 2) {
                    const auto* row16 = reinterpret_cast<const uint16_t*>(row);
                    for (int x = 0; x < width; ++x)
                        d[x] = (static_cast<float>(row16[x]) - offset) * scale;
                } else {
                    const auto* row16 = reinterpret_cast<const uint16_t*>(row);
                    const int step = comp.step / 2;
                    for (int x = 0; x < width; ++x)
                        d[x] = (static_cast<float>(row16[static_cast<std::size_t>(x) * step]) - offset) * scale;
                }
            }
        }
        return;
    }
    line.resize(static_cast<std::size_t>(width));
    for (int y = 0; y < height; ++y) {
        av_read_image_line2(line.data(), const_cast<const uint8_t**>(frame.data), frame.linesize, &desc, 0, y, c, width,
                            0, 4);
        float* d = dst + static_cast<std::size_t>(y) * width;
        for (int x = 0; x < width; ++x)
            d[x] = (static_cast<float>(line[x]) - offset) * scale;
    }
}

void write_component(AVFrame& frame, int c, int width, int height, float scale, float offset, const float* src,
                     std::vector<uint32_t>& line)
{
    const AVPixFmtDescriptor& desc = descriptor(frame);
    const AVComponentDescriptor& comp = desc.comp[c];
    const float max = static_cast<float>((1u << comp.depth) - 1);
    if (simple_storage(desc, c)) {
        {
            const int y0 = 0, y1 = height;
            for (int y = y0; y < y1; ++y) {
                uint8_t* row = frame.data[comp.plane] + static_cast<std::ptrdiff_t>(y) * frame.linesize[comp.plane] + comp.offset;
                const float* s = src + static_cast<std::size_t>(y) * width;
                if (comp.depth == 8 && comp.step == 1) {
                    for (int x = 0; x < width; ++x)
                        row[x] = static_cast<uint8_t>(quantise(s[x], scale, offset, max));
                } else if (comp.depth == 8) {
                    for (int x = 0; x < width; ++x)
                        row[static_cast<std::size_t>(x) * comp.step] = static_cast<uint8_t>(quantise(s[x], scale, offset, max));
                } else if (comp.step == 2) {
                    auto* row16 = reinterpret_cast<uint16_t*>(row);
                    for (int x = 0; x < width; ++x)
                        row16[x] = static_cast<uint16_t>(quantise(s[x], scale, offset, max));
                } else {
                    auto* row16 = reinterpret_cast<uint16_t*>(row);
                    const int step = comp.step / 2;
                    for (int x = 0; x < width; ++x)
                        row16[static_cast<std::size_t>(x) * step] = static_cast<uint16_t>(quantise(s[x], scale, offset, max));
                }
            }
        }
        return;
    }
    line.resize(static_cast<std::size_t>(width));
    for (int y = 0; y < height; ++y) {
        const float* s = src + static_cast<std::size_t>(y) * width;
        for (int x = 0; x < width; ++x)
            line[x] = quantise(s[x], scale, offset, max);
        av_write_image_line2(line.data(), frame.data, frame.linesize, &desc, 0, y, c, width, 4);
    }
}

void prepare_for_writing(AVFrame& frame)
{
    const AVPixFmtDescriptor& desc = descriptor(frame);
    bool zero = av_get_padded_bits_per_pixel(&desc) != av_get_bits_per_pixel(&desc);
    for (int c = 0; c < desc.nb_components && !zero; ++c)
        zero = !simple_storage(desc, c);
    if (!zero)
        return;
    ptrdiff_t linesizes[4] = {};
    for (int p = 0; p < 4; ++p)
        linesizes[p] = frame.linesize[p];
    size_t sizes[4] = {};
    if (av_image_fill_plane_sizes(sizes, static_cast<AVPixelFormat>(frame.format), frame.height, linesizes) < 0)
        return;
    for (int p = 0; p < 4; ++p)
        if (frame.data[p] && sizes[p] > 0 && frame.linesize[p] > 0)
            std::memset(frame.data[p], 0, sizes[p]);
}

}  // namespace cnnv3
