// FramePlanesGpu's colour conversions against zimg (FFmpeg's zscale filter), the external oracle:
// YUV -> RGB (decode) and RGB -> YUV with chroma downsampling (encode), at odd sizes, 4:2:0 / 4:2:2 /
// 4:4:4, 8 and 10 bits, the matrices and ranges the project reads (color_tags.h), on smooth
// pictures (both filter full-resolution RGB into chroma with a tent). zimg refuses a luma size its
// subsampling does not divide, so the subsampled cases have odd chroma sizes (34x18 4:2:0: 17x9 chroma) and 4:4:4 odd luma sizes; the stylize-gpu-planes test
// covers 33x17 4:2:0 end to end. Bounds: 1 code at 8 bits, 4 at 10 (measured: at most 1 code in
// both, from libplacebo's full-range chroma offset; the [ measured ] lines).
#include "frame_planes_gpu.h"
#include "model.h"

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
}

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include <unistd.h>

namespace cnnv3 {
namespace {

std::filesystem::path vectors(const char* name)
{
    return std::filesystem::path(CNNV3_SOURCE_DIR) / "tests" / "vectors" / name;
}

struct Case {
    const char* pix_fmt;       // FFmpeg's name
    int width, height;
    const char* zimg_matrix;   // zscale's name
    enum pl_color_system system;
    bool full_range;
    const char* zimg_location; // zscale's chroma location
    float chroma_h, chroma_v;  // the same siting as PlaneColor
    double tolerance;          // codes
};

std::ostream& operator<<(std::ostream& os, const Case& c)
{
    return os << c.pix_fmt << " " << c.width << "x" << c.height << " " << c.zimg_matrix << (c.full_range ? " full" : " limited")
              << " " << c.zimg_location;
}

std::vector<char> read_file(const std::filesystem::path& path)
{
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, const void* data, std::size_t size)
{
    std::ofstream(path, std::ios::binary).write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

// zscale from `in` (rawvideo of in_fmt) to `out` (rawvideo of out_fmt).
void zscale(const std::filesystem::path& in, const char* in_fmt, const std::filesystem::path& out, const char* out_fmt,
            const Case& c, const std::string& params)
{
    const std::string cmd = fmt::format(
        "ffmpeg -nostdin -loglevel error -y -f rawvideo -pix_fmt {} -s {}x{} -i '{}' -vf 'zscale={}:filter=bilinear,format={}' "
        "-f rawvideo '{}'",
        in_fmt, c.width, c.height, in.string(), params, out_fmt, out.string());
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

struct FrameDeleter {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

FramePtr make_frame(const Case& c)
{
    FramePtr f(av_frame_alloc());
    f->format = av_get_pix_fmt(c.pix_fmt);
    f->width = c.width;
    f->height = c.height;
    EXPECT_EQ(av_frame_get_buffer(f.get(), 0), 0);
    return f;
}

// Plane i's size in samples.
std::pair<int, int> plane_size(const AVFrame& f, int i)
{
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f.format));
    return i == 0 ? std::pair(f.width, f.height)
                  : std::pair(AV_CEIL_RSHIFT(f.width, d->log2_chroma_w), AV_CEIL_RSHIFT(f.height, d->log2_chroma_h));
}

int depth_of(const AVFrame& f) { return av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f.format))->comp[0].depth; }

// Code of sample (x, y) of plane i, and setting it.
int code(const AVFrame& f, int i, int x, int y)
{
    const uint8_t* row = f.data[i] + static_cast<std::ptrdiff_t>(f.linesize[i]) * y;
    return depth_of(f) > 8 ? reinterpret_cast<const uint16_t*>(row)[x] : row[x];
}

void set_code(AVFrame& f, int i, int x, int y, int v)
{
    uint8_t* row = f.data[i] + static_cast<std::ptrdiff_t>(f.linesize[i]) * y;
    if (depth_of(f) > 8)
        reinterpret_cast<uint16_t*>(row)[x] = static_cast<uint16_t>(v);
    else
        row[x] = static_cast<uint8_t>(v);
}

// The frame as rawvideo (planes packed), and back.
std::vector<char> raw_of(const AVFrame& f)
{
    const int bytes = depth_of(f) > 8 ? 2 : 1;
    std::vector<char> raw;
    for (int i = 0; i < 3; ++i) {
        const auto [w, h] = plane_size(f, i);
        for (int y = 0; y < h; ++y) {
            const char* row = reinterpret_cast<const char*>(f.data[i]) + static_cast<std::ptrdiff_t>(f.linesize[i]) * y;
            raw.insert(raw.end(), row, row + static_cast<std::ptrdiff_t>(w) * bytes);
        }
    }
    return raw;
}

void fill_from_raw(AVFrame& f, const std::vector<char>& raw)
{
    const int bytes = depth_of(f) > 8 ? 2 : 1;
    std::size_t at = 0;
    for (int i = 0; i < 3; ++i) {
        const auto [w, h] = plane_size(f, i);
        for (int y = 0; y < h; ++y) {
            const std::size_t n = static_cast<std::size_t>(w) * bytes;
            ASSERT_LE(at + n, raw.size());
            std::memcpy(f.data[i] + static_cast<std::ptrdiff_t>(f.linesize[i]) * y, raw.data() + at, n);
            at += n;
        }
    }
    ASSERT_EQ(at, raw.size());
}

PlaneColor color_of(const Case& c)
{
    PlaneColor color;
    color.system = c.system;
    color.full_range = c.full_range;
    color.chroma_h = c.chroma_h;
    color.chroma_v = c.chroma_v;
    return color;
}

class FramePlanesVsZimg : public ::testing::TestWithParam<Case> {
protected:
    static GpuContext& gpu()
    {
        static GpuContext ctx({});
        return ctx;
    }
    static NetworkRunner& runner()
    {
        static Model model = load_model(vectors("test-random-48"));
        static NetworkRunner r(gpu(), model);
        return r;
    }
    std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                                 fmt::format("cnnv3-planes-{}-{}", ::getpid(), ::testing::UnitTest::GetInstance()->random_seed());
    void SetUp() override { std::filesystem::create_directories(dir_); }
    void TearDown() override { std::filesystem::remove_all(dir_); }
};

TEST_P(FramePlanesVsZimg, decode_matches_zimg)
{
    const Case& c = GetParam();
    FramePtr in = make_frame(c);
    const int max = (1 << depth_of(*in)) - 1;
    const double lo = c.full_range ? 0 : 16.0 / 255 * max, hi = c.full_range ? max : 235.0 / 255 * max;
    const double mid = (max + 1) / 2.0, amp = c.full_range ? mid * 0.5 : 112.0 / 255 * max * 0.5;
    // Smooth codes: luma ramps, chroma slow waves (some out of the RGB gamut, which both keep).
    for (int i = 0; i < 3; ++i) {
        const auto [w, h] = plane_size(*in, i);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const double u = static_cast<double>(x) / w, v = static_cast<double>(y) / h;
                const double value = i == 0 ? lo + (hi - lo) * (0.1 + 0.8 * (0.6 * u + 0.4 * v))
                                            : mid + amp * std::sin(2.0 * u + 1.3 * v + i);
                set_code(*in, i, x, y, static_cast<int>(std::lround(value)));
            }
    }
    const std::vector<char> raw = raw_of(*in);
    write_file(dir_ / "in.raw", raw.data(), raw.size());
    zscale(dir_ / "in.raw", c.pix_fmt, dir_ / "rgb.raw", "gbrpf32le", c,
           fmt::format("matrixin={}:rangein={}:chromalin={}:matrix=gbr:range=full", c.zimg_matrix,
                       c.full_range ? "full" : "limited", c.zimg_location));
    const std::vector<char> ref = read_file(dir_ / "rgb.raw");
    const std::size_t n = static_cast<std::size_t>(c.width) * c.height;
    ASSERT_EQ(ref.size(), n * 3 * sizeof(float));
    const float* planes = reinterpret_cast<const float*>(ref.data());  // G, B, R
    FramePlanesGpu gpu_planes(gpu(), runner());
    const Planes rgb = gpu_planes.decode(*in, color_of(c));
    double worst = 0;
    for (int ch = 0; ch < 3; ++ch) {
        const float* z = planes + n * ((ch + 2) % 3);  // R is zscale's plane 2, G 0, B 1
        for (std::size_t i = 0; i < n; ++i)
            worst = std::max(worst, std::abs(static_cast<double>(rgb.plane(ch)[i]) - z[i]) * max);
    }
    std::cout << "[ measured ] decode " << c << ": max |GPU - zimg| " << worst << " codes\n";
    EXPECT_LE(worst, c.tolerance);
}

TEST_P(FramePlanesVsZimg, encode_matches_zimg)
{
    const Case& c = GetParam();
    const std::size_t n = static_cast<std::size_t>(c.width) * c.height;
    Planes rgb(3, c.height, c.width);
    std::vector<float> gbr(n * 3);
    for (int ch = 0; ch < 3; ++ch)
        for (int y = 0; y < c.height; ++y)
            for (int x = 0; x < c.width; ++x) {
                const float u = static_cast<float>(x) / c.width, v = static_cast<float>(y) / c.height;
                const float value = 0.5f + 0.4f * std::sin(1.7f * u - 1.1f * v * (ch + 1) + 2.0f * ch);
                rgb.at(ch, y, x) = value;
                gbr[n * ((ch + 2) % 3) + static_cast<std::size_t>(y) * c.width + x] = value;
            }
    write_file(dir_ / "rgb.raw", gbr.data(), gbr.size() * sizeof(float));
    zscale(dir_ / "rgb.raw", "gbrpf32le", dir_ / "yuv.raw", c.pix_fmt, c,
           fmt::format("matrixin=gbr:rangein=full:matrix={}:range={}:chromal={}", c.zimg_matrix,
                       c.full_range ? "full" : "limited", c.zimg_location));
    FramePtr ref = make_frame(c);
    fill_from_raw(*ref, read_file(dir_ / "yuv.raw"));
    FramePtr out = make_frame(c);
    FramePlanesGpu gpu_planes(gpu(), runner());
    gpu_planes.encode(rgb, *out, color_of(c));
    int worst = 0;
    for (int i = 0; i < 3; ++i) {
        const auto [w, h] = plane_size(*out, i);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                worst = std::max(worst, std::abs(code(*out, i, x, y) - code(*ref, i, x, y)));
    }
    std::cout << "[ measured ] encode " << c << ": max |GPU - zimg| " << worst << " codes\n";
    EXPECT_LE(worst, c.tolerance);
}

INSTANTIATE_TEST_SUITE_P(
    OddSizes, FramePlanesVsZimg,
    ::testing::Values(Case{"yuv420p", 34, 18, "709", PL_COLOR_SYSTEM_BT_709, false, "left", 0.0f, 0.5f, 1},
                      Case{"yuv420p", 38, 22, "170m", PL_COLOR_SYSTEM_BT_601, true, "center", 0.5f, 0.5f, 1},
                      Case{"yuv422p", 34, 17, "470bg", PL_COLOR_SYSTEM_BT_601, false, "left", 0.0f, 0.5f, 1},
                      Case{"yuv444p", 33, 17, "2020_ncl", PL_COLOR_SYSTEM_BT_2020_NC, false, "left", 0.0f, 0.5f, 1},
                      Case{"yuv444p", 35, 19, "709", PL_COLOR_SYSTEM_BT_709, true, "left", 0.0f, 0.5f, 1},
                      Case{"yuv420p10le", 34, 18, "709", PL_COLOR_SYSTEM_BT_709, false, "left", 0.0f, 0.5f, 4},
                      Case{"yuv422p10le", 34, 17, "2020_ncl", PL_COLOR_SYSTEM_BT_2020_NC, true, "left", 0.0f, 0.5f, 4},
                      Case{"yuv444p10le", 33, 17, "170m", PL_COLOR_SYSTEM_BT_601, false, "left", 0.0f, 0.5f, 4}));

}  // namespace
}  // namespace cnnv3
