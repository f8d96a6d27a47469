// FramePlanesGpu's colour conversions against zimg (FFmpeg's zscale filter), the external oracle,
// for every pixel-format layout the GPU path takes: planar, semi-planar (nv12, p010...), packed YUV
// (yuyv422, y210), planar and packed RGB (gbrp10, rgb24, bgr0, rgb48be, x2rgb10...), gray (+alpha)
// and pal8, 8-16 bits, each with the matrices (BT.601, BT.709, SMPTE 240M, BT.2020 NC) and ranges the
// project reads (color_tags.h). zimg reads planar formats only: each case names a planar format
// with the same components ("planar"), filled with the same codes (av_write_image_line2), which
// zimg converts; gray is zimg's 4:4:4 with neutral chroma, pal8 its palette looked up into gbrp.
// Decode (codes -> RGB) and encode (RGB -> codes, chroma downsampled) are compared component by
// component; smooth pictures (both filter full-resolution RGB into chroma with a tent). zimg
// refuses a luma size its subsampling does not divide, so the subsampled cases have odd chroma
// sizes (34x18 4:2:0: 17x9 chroma), the others 33x17 and 1x1.
// Bounds: 1 code at 8 bits, 4 at 10 bits, the same fraction of the range above (tolerance(); the
// [ measured ] lines give the values).
// The strength-0 round trip: random codes (out of the RGB gamut too) through process() come back
// exactly, in every format (pal8: as its palette's RGBA). And the passes are made once: later
// frames with another strength or cond compile nothing.
#include "frame_planes_gpu.h"
#include "model.h"

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
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
#include <random>
#include <thread>
#include <vector>

#include <unistd.h>

namespace cnnv3 {
namespace {

std::filesystem::path vectors(const char* name)
{
    return std::filesystem::path(CNNV3_SOURCE_DIR) / "tests" / "vectors" / name;
}

struct Case {
    const char* pix_fmt;  // FFmpeg's name
    const char* planar;   // the planar format zimg converts (the same components; gray: 4:4:4; pal8: gbrp)
    int width, height;
    const char* zimg_matrix;  // zscale's name ("gbr" for RGB)
    enum pl_color_system system;
    bool full_range;
    const char* zimg_location;  // zscale's chroma location
    float chroma_h, chroma_v;   // the same siting as PlaneColor
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

FramePtr make_frame(const char* pix_fmt, int width, int height)
{
    FramePtr f(av_frame_alloc());
    f->format = av_get_pix_fmt(pix_fmt);
    f->width = width;
    f->height = height;
    EXPECT_EQ(av_frame_get_buffer(f.get(), 0), 0) << pix_fmt;
    for (AVBufferRef* b : f->buf)  // av_write_image_line2 ORs 8-bit components into what is there
        if (b)
            std::memset(b->data, 0, b->size);
    return f;
}

const AVPixFmtDescriptor& desc_of(const AVFrame& f)
{
    return *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f.format));
}

bool is_rgb(const AVFrame& f) { return desc_of(f).flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL); }
bool is_gray(const AVFrame& f) { return !is_rgb(f) && desc_of(f).nb_components <= 2; }
bool is_pal8(const AVFrame& f) { return f.format == AV_PIX_FMT_PAL8; }
int depth_of(const AVFrame& f, int c) { return desc_of(f).comp[c].depth; }
int max_of(const AVFrame& f, int c) { return (1 << depth_of(f, c)) - 1; }

// Component c's sample grid.
std::pair<int, int> grid(const AVFrame& f, int c)
{
    const AVPixFmtDescriptor& d = desc_of(f);
    const bool chroma = !is_rgb(f) && !is_gray(f) && (c == 1 || c == 2);
    return chroma ? std::pair(AV_CEIL_RSHIFT(f.width, d.log2_chroma_w), AV_CEIL_RSHIFT(f.height, d.log2_chroma_h))
                  : std::pair(f.width, f.height);
}

// Component c as codes, row after row, and setting it (any layout and byte order: libavutil's
// own component reader and writer).
std::vector<int> get(const AVFrame& f, int c)
{
    const auto [w, h] = grid(f, c);
    std::vector<uint32_t> row(static_cast<std::size_t>(w));
    std::vector<int> codes;
    for (int y = 0; y < h; ++y) {
        av_read_image_line2(row.data(), const_cast<const uint8_t**>(f.data), f.linesize, &desc_of(f), 0, y, c, w, 0, 4);
        codes.insert(codes.end(), row.begin(), row.end());
    }
    return codes;
}

void set(AVFrame& f, int c, const std::vector<int>& codes)
{
    const auto [w, h] = grid(f, c);
    ASSERT_EQ(codes.size(), static_cast<std::size_t>(w) * h);
    std::vector<uint32_t> row(static_cast<std::size_t>(w));
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x)
            row[static_cast<std::size_t>(x)] = static_cast<uint32_t>(codes[static_cast<std::size_t>(y) * w + x]);
        av_write_image_line2(row.data(), f.data, f.linesize, &desc_of(f), 0, y, c, w, 4);
    }
}

// pal8's palette entry i as R, G, B, A.
std::array<int, 4> entry(const AVFrame& f, int i)
{
    uint32_t argb;
    std::memcpy(&argb, f.data[1] + 4 * i, 4);
    return {static_cast<int>(argb >> 16 & 255), static_cast<int>(argb >> 8 & 255), static_cast<int>(argb & 255),
            static_cast<int>(argb >> 24)};
}

// The frame as rawvideo, and a frame of `pix_fmt` over rawvideo bytes.
std::vector<char> raw_of(const AVFrame& f)
{
    const auto fmt = static_cast<AVPixelFormat>(f.format);
    std::vector<char> raw(static_cast<std::size_t>(av_image_get_buffer_size(fmt, f.width, f.height, 1)));
    av_image_copy_to_buffer(reinterpret_cast<uint8_t*>(raw.data()), static_cast<int>(raw.size()), f.data, f.linesize, fmt,
                            f.width, f.height, 1);
    return raw;
}

FramePtr frame_of_raw(std::vector<char>& raw, const char* pix_fmt, int width, int height)
{
    FramePtr f(av_frame_alloc());
    f->format = av_get_pix_fmt(pix_fmt);
    f->width = width;
    f->height = height;
    EXPECT_EQ(static_cast<std::size_t>(av_image_get_buffer_size(static_cast<AVPixelFormat>(f->format), width, height, 1)),
              raw.size()) << pix_fmt;
    av_image_fill_arrays(f->data, f->linesize, reinterpret_cast<const uint8_t*>(raw.data()),
                         static_cast<AVPixelFormat>(f->format), width, height, 1);
    return f;
}

// The planar frame zimg reads with `in`'s codes: the same components; gray with neutral chroma;
// pal8 looked up.
FramePtr planar_of(const AVFrame& in, const Case& c)
{
    FramePtr p = make_frame(c.planar, in.width, in.height);
    if (is_pal8(in)) {
        const std::vector<int> index = get(in, 0);
        for (int k = 0; k < 3; ++k) {
            std::vector<int> v(index.size());
            for (std::size_t i = 0; i < index.size(); ++i)
                v[i] = entry(in, index[i])[static_cast<std::size_t>(k)];
            set(*p, k, v);
        }
        return p;
    }
    for (int k = 0; k < desc_of(in).nb_components; ++k)
        set(*p, is_gray(in) && k == 1 ? 3 : k, get(in, k));
    if (is_gray(in))
        for (int k = 1; k <= 2; ++k)
            set(*p, k, std::vector<int>(static_cast<std::size_t>(in.width) * in.height, 1 << (depth_of(in, 0) - 1)));
    return p;
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

// 1 code at 8 bits, 4 at 9-10 bits, the same fraction of the range above (16 at 12 bits, 256 at 16:
// libplacebo's and zimg's SMPTE 240M differ by up to 20 16-bit codes, 0.08 of an 8-bit one).
double tolerance(int depth) { return depth <= 8 ? 1.0 : depth <= 10 ? 4.0 : 4.0 * (1 << (depth - 10)); }

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

// Smooth codes: luma ramps, chroma slow waves (some out of the RGB gamut, which both keep), RGB
// waves, alpha a ramp; pal8 indices over a palette of smooth colours.
void fill_smooth(AVFrame& f, const Case& c)
{
    if (is_pal8(f)) {
        for (int i = 0; i < 256; ++i) {
            const auto v = [&](double phase) { return static_cast<uint32_t>(std::lround(127.5 + 127.5 * std::sin(i * 0.05 + phase))); };
            const uint32_t argb = v(1.0) << 24 | v(0.0) << 16 | v(2.0) << 8 | v(4.0);
            std::memcpy(f.data[1] + 4 * i, &argb, 4);
        }
        std::vector<int> index(static_cast<std::size_t>(f.width) * f.height);
        for (int y = 0; y < f.height; ++y)
            for (int x = 0; x < f.width; ++x)
                index[static_cast<std::size_t>(y) * f.width + x] = (x * 5 + y * 3) % 256;
        set(f, 0, index);
        return;
    }
    for (int k = 0; k < desc_of(f).nb_components; ++k) {
        const auto [w, h] = grid(f, k);
        const int channel = is_gray(f) && k == 1 ? 3 : k;
        const int max = max_of(f, k);
        const double lo = c.full_range || is_rgb(f) ? 0 : 16.0 / 255 * max, hi = c.full_range || is_rgb(f) ? max : 235.0 / 255 * max;
        const double mid = (max + 1) / 2.0, amp = c.full_range ? mid * 0.5 : 112.0 / 255 * max * 0.5;
        std::vector<int> codes;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const double u = static_cast<double>(x) / w, v = static_cast<double>(y) / h;
                double value;
                if (channel == 3)
                    value = max * (0.2 + 0.6 * u);
                else if (is_rgb(f))
                    value = max * (0.5 + 0.4 * std::sin(2.0 * u + 1.3 * v * (channel + 1) + channel));
                else if (channel == 0)
                    value = lo + (hi - lo) * (0.1 + 0.8 * (0.6 * u + 0.4 * v));
                else
                    value = mid + amp * std::sin(2.0 * u + 1.3 * v + channel);
                codes.push_back(static_cast<int>(std::lround(value)));
            }
        set(f, k, codes);
    }
}

TEST_P(FramePlanesVsZimg, decode_matches_zimg)
{
    const Case& c = GetParam();
    FramePtr in = make_frame(c.pix_fmt, c.width, c.height);
    fill_smooth(*in, c);
    FramePtr planar = planar_of(*in, c);
    const std::vector<char> raw = raw_of(*planar);
    write_file(dir_ / "in.raw", raw.data(), raw.size());
    zscale(dir_ / "in.raw", c.planar, dir_ / "rgb.raw", "gbrpf32le", c,
           is_rgb(*in) ? std::string("rangein=full:range=full")
                       : fmt::format("matrixin={}:rangein={}:chromalin={}:matrix=gbr:range=full", c.zimg_matrix,
                                     c.full_range ? "full" : "limited", c.zimg_location));
    const std::vector<char> ref = read_file(dir_ / "rgb.raw");
    const std::size_t n = static_cast<std::size_t>(c.width) * c.height;
    ASSERT_EQ(ref.size(), n * 3 * sizeof(float));
    const float* planes = reinterpret_cast<const float*>(ref.data());  // G, B, R
    FramePlanesGpu gpu_planes(gpu(), runner());
    const Planes rgb = gpu_planes.decode(*in, color_of(c));
    const int max = is_pal8(*in) ? 255 : max_of(*in, 0);
    double worst = 0;
    for (int ch = 0; ch < 3; ++ch) {
        const float* z = planes + n * ((ch + 2) % 3);  // R is zscale's plane 2, G 0, B 1
        for (std::size_t i = 0; i < n; ++i)
            worst = std::max(worst, std::abs(static_cast<double>(rgb.plane(ch)[i]) - z[i]) * max);
    }
    std::cout << "[ measured ] decode " << c << ": max |GPU - zimg| " << worst << " codes\n";
    EXPECT_LE(worst, tolerance(depth_of(*in, 0)));
}

TEST_P(FramePlanesVsZimg, encode_matches_zimg)
{
    const Case& c = GetParam();
    FramePtr out = make_frame(c.pix_fmt, c.width, c.height);
    if (!gpu_format_problem(out->format, true).empty())
        GTEST_SKIP() << c.pix_fmt << " is read only: " << gpu_format_problem(out->format, true);
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
    zscale(dir_ / "rgb.raw", "gbrpf32le", dir_ / "ref.raw", c.planar, c,
           is_rgb(*out) ? std::string("rangein=full:range=full")
                        : fmt::format("matrixin=gbr:rangein=full:matrix={}:range={}:chromal={}", c.zimg_matrix,
                                      c.full_range ? "full" : "limited", c.zimg_location));
    std::vector<char> raw = read_file(dir_ / "ref.raw");
    FramePtr ref = frame_of_raw(raw, c.planar, c.width, c.height);
    FramePlanesGpu gpu_planes(gpu(), runner());
    gpu_planes.encode(rgb, *out, color_of(c));
    int worst = 0;
    const int components = is_gray(*out) ? 1 : 3;  // gray: zimg's luma; alpha is opaque
    for (int k = 0; k < components; ++k) {
        const std::vector<int> got = get(*out, k), want = get(*ref, k);
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            worst = std::max(worst, std::abs(got[i] - want[i]));
    }
    if (desc_of(*out).flags & AV_PIX_FMT_FLAG_ALPHA) {
        const int a = is_gray(*out) ? 1 : 3;
        for (int v : get(*out, a))
            ASSERT_EQ(v, max_of(*out, a)) << "alpha is opaque";
    }
    std::cout << "[ measured ] encode " << c << ": max |GPU - zimg| " << worst << " codes\n";
    EXPECT_LE(worst, tolerance(depth_of(*out, 0)));
}

// Strength 0: random codes in every component (YUV far outside the RGB gamut too) come back exactly.
TEST_P(FramePlanesVsZimg, strength_0_returns_the_codes)
{
    const Case& c = GetParam();
    FramePtr in = make_frame(c.pix_fmt, c.width, c.height);
    std::mt19937 rng(7);
    if (is_pal8(*in)) {
        for (int i = 0; i < 1024; ++i)
            in->data[1][i] = static_cast<uint8_t>(rng());
    }
    for (int k = 0; k < desc_of(*in).nb_components; ++k) {
        const auto [w, h] = grid(*in, k);
        std::vector<int> codes(static_cast<std::size_t>(w) * h);
        for (int& v : codes)
            v = static_cast<int>(rng() % (static_cast<unsigned>(max_of(*in, k)) + 1));
        set(*in, k, codes);
    }
    // pal8 is not written: its palette comes back as RGBA.
    FramePtr out = make_frame(is_pal8(*in) ? "rgba" : c.pix_fmt, c.width, c.height);
    FramePlanesGpu gpu_planes(gpu(), runner());
    const std::array<float, 5> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
    const PlaneColor rgb{PL_COLOR_SYSTEM_RGB, true, 0.0f, 0.5f};
    gpu_planes.process(*in, color_of(c), *out, is_pal8(*in) ? rgb : color_of(c), cond, 0.0f, false);
    int differing = 0;
    if (is_pal8(*in)) {
        const std::vector<int> index = get(*in, 0);
        for (int k = 0; k < 4; ++k) {
            const std::vector<int> got = get(*out, k);
            for (std::size_t i = 0; i < got.size(); ++i)
                differing += got[i] != entry(*in, index[i])[static_cast<std::size_t>(k)];
        }
    } else {
        for (int k = 0; k < desc_of(*in).nb_components; ++k) {
            const std::vector<int> got = get(*out, k), want = get(*in, k);
            for (std::size_t i = 0; i < got.size(); ++i)
                differing += got[i] != want[i];
        }
    }
    EXPECT_EQ(differing, 0) << c << ": codes changed at strength 0";
}

// Every YUV layout with each matrix, range and siting (the 4:4:4 ones do not depend on siting).
std::vector<Case> cases()
{
    struct Format {
        const char* name;
        const char* planar;
        int width, height;
    };
    const Format yuv[] = {
        {"yuv420p", "yuv420p", 34, 18},       {"yuv422p", "yuv422p", 34, 17},        {"yuv444p", "yuv444p", 33, 17},
        {"yuv444p", "yuv444p", 1, 1},         {"yuv411p", "yuv411p", 36, 17},        {"yuv440p", "yuv440p", 33, 18},
        {"yuva420p", "yuva420p", 34, 18},     {"yuv420p10le", "yuv420p10le", 34, 18}, {"yuv422p10le", "yuv422p10le", 34, 17},
        {"yuv444p10le", "yuv444p10le", 33, 17}, {"yuv420p12le", "yuv420p12le", 34, 18}, {"yuv444p16le", "yuv444p16le", 33, 17},
        {"yuv420p10be", "yuv420p10le", 34, 18}, {"nv12", "yuv420p", 34, 18},          {"nv21", "yuv420p", 34, 18},
        {"nv16", "yuv422p", 34, 17},          {"nv24", "yuv444p", 33, 17},           {"nv42", "yuv444p", 1, 1},
        {"p010le", "yuv420p10le", 34, 18},    {"p016le", "yuv420p16le", 34, 18},     {"p210le", "yuv422p10le", 34, 17},
        {"p410le", "yuv444p10le", 33, 17},    {"nv20le", "yuv422p10le", 34, 17},     {"yuyv422", "yuv422p", 34, 17},
        {"uyvy422", "yuv422p", 34, 17},       {"y210le", "yuv422p10le", 34, 17},     {"ayuv64le", "yuva444p16le", 33, 17},
        {"gray", "yuv444p", 33, 17},          {"gray", "yuv444p", 1, 1},             {"gray10le", "yuv444p10le", 33, 17},
        {"gray12le", "yuv444p12le", 33, 17},  {"gray16le", "yuv444p16le", 33, 17},   {"gray16be", "yuv444p16le", 33, 17},
        {"ya8", "yuva444p", 33, 17},          {"ya16le", "yuva444p16le", 33, 17},
    };
    struct Matrix {
        const char* zimg;
        enum pl_color_system system;
        bool full;
        const char* location;
        float h, v;
    };
    const Matrix matrices[] = {
        {"709", PL_COLOR_SYSTEM_BT_709, false, "left", 0.0f, 0.5f},
        {"170m", PL_COLOR_SYSTEM_BT_601, true, "center", 0.5f, 0.5f},
        {"smpte2400m", PL_COLOR_SYSTEM_SMPTE_240M, false, "topleft", 0.0f, 0.0f},  // FFmpeg 5.1's spelling
        {"2020_ncl", PL_COLOR_SYSTEM_BT_2020_NC, true, "left", 0.0f, 0.5f},
        {"470bg", PL_COLOR_SYSTEM_BT_601, false, "center", 0.5f, 0.5f},
    };
    std::vector<Case> list;
    for (const Format& f : yuv)
        for (const Matrix& m : matrices)
            list.push_back({f.name, f.planar, f.width, f.height, m.zimg, m.system, m.full, m.location, m.h, m.v});
    const Format rgb[] = {
        {"gbrp", "gbrp", 33, 17},          {"gbrp", "gbrp", 1, 1},             {"gbrp10le", "gbrp10le", 33, 17},
        {"gbrp12le", "gbrp12le", 33, 17},  {"gbrp16le", "gbrp16le", 33, 17},   {"gbrap", "gbrap", 33, 17},
        {"gbrap16le", "gbrap16le", 33, 17}, {"rgb24", "gbrp", 33, 17},          {"rgb24", "gbrp", 1, 1},
        {"bgr24", "gbrp", 33, 17},         {"rgba", "gbrap", 33, 17},          {"bgra", "gbrap", 33, 17},
        {"argb", "gbrap", 33, 17},         {"abgr", "gbrap", 33, 17},          {"0rgb", "gbrp", 33, 17},
        {"rgb0", "gbrp", 33, 17},          {"bgr0", "gbrp", 33, 17},           {"0bgr", "gbrp", 33, 17},
        {"rgb48le", "gbrp16le", 33, 17},   {"rgb48be", "gbrp16le", 33, 17},    {"rgba64le", "gbrap16le", 33, 17},
        {"bgra64be", "gbrap16le", 33, 17}, {"x2rgb10le", "gbrp10le", 33, 17},  {"pal8", "gbrp", 33, 17},
        {"pal8", "gbrp", 1, 1},
    };
    for (const Format& f : rgb)
        list.push_back({f.name, f.planar, f.width, f.height, "gbr", PL_COLOR_SYSTEM_RGB, true, "left", 0.0f, 0.5f});
    return list;
}

INSTANTIATE_TEST_SUITE_P(EveryLayout, FramePlanesVsZimg, ::testing::ValuesIn(cases()));

}  // namespace
}  // namespace cnnv3

namespace cnnv3 {
namespace {

// The colour passes are made once per (formats, size, colours): later frames - another strength,
// another cond, feedback on or off - compile nothing (strength is a push constant, not shader text;
// strength 1 has its own pass, which reads no input colour).
TEST(FramePlanesPasses, later_frames_compile_nothing)
{
    GpuContext gpu({});
    Model model = load_model(vectors("test-random-48"));
    NetworkRunner runner(gpu, model);
    FramePlanesGpu planes(gpu, runner);
    FramePtr in = make_frame("nv12", 34, 18), out = make_frame("yuv420p", 34, 18);
    Case c{"nv12", "yuv420p", 34, 18, "709", PL_COLOR_SYSTEM_BT_709, false, "left", 0.0f, 0.5f};
    fill_smooth(*in, c);
    std::array<float, 5> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
    planes.process(*in, color_of(c), *out, color_of(c), cond, 0.25f, false);
    planes.process(*in, color_of(c), *out, color_of(c), cond, 0.5f, true);  // the prev-reading variant
    planes.process(*in, color_of(c), *out, color_of(c), cond, 1.0f, true);  // strength 1: no input colour read
    const int compiled = gpu.shader_compilations();
    for (float strength : {0.0f, 0.75f, 1.0f, 0.1f}) {
        cond[0] = strength;
        planes.process(*in, color_of(c), *out, color_of(c), cond, strength, strength > 0.5f);
    }
    EXPECT_EQ(gpu.shader_compilations(), compiled);
}

// A frame's passes and bindings are resolved once per formats, colours and strength mode: later
// frames of the same stream resolve nothing (no pass lookup by name, no shader text per frame);
// another strength mode, another colour or another output format does, and a new size starts over.
TEST(FramePlanesPasses, frames_resolve_their_passes_once)
{
    GpuContext gpu({});
    Model model = load_model(vectors("test-random-48"));
    NetworkRunner runner(gpu, model);
    FramePlanesGpu planes(gpu, runner);
    Case c{"yuv420p", "yuv420p", 34, 18, "709", PL_COLOR_SYSTEM_BT_709, false, "left", 0.0f, 0.5f};
    FramePtr in = make_frame("yuv420p", 34, 18), out = make_frame("yuv420p", 34, 18);
    fill_smooth(*in, c);
    const std::array<float, 5> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
    planes.process(*in, color_of(c), *out, color_of(c), cond, 1.0f, false);
    EXPECT_EQ(planes.plans_made(), 2);  // the decode pass; the encode passes (luma, chroma)
    const auto first = get(*out, 0);
    for (int i = 0; i < 8; ++i) {
        planes.submit(*in, color_of(c), *out, color_of(c), cond, 1.0f, i > 0);
        planes.collect();
    }
    EXPECT_EQ(planes.plans_made(), 2);
    planes.process(*in, color_of(c), *out, color_of(c), cond, 1.0f, false);
    EXPECT_EQ(get(*out, 0), first);  // the kept bindings point at this frame's textures
    planes.process(*in, color_of(c), *out, color_of(c), cond, 0.5f, false);  // the mixing passes
    planes.process(*in, color_of(c), *out, color_of(c), cond, 0.25f, false);
    EXPECT_EQ(planes.plans_made(), 3);
    PlaneColor full = color_of(c);
    full.full_range = true;
    planes.process(*in, full, *out, full, cond, 0.25f, false);
    EXPECT_EQ(planes.plans_made(), 5);
    planes.process(*in, color_of(c), *out, color_of(c), cond, 1.0f, false);  // back: kept
    EXPECT_EQ(planes.plans_made(), 5);
    EXPECT_EQ(get(*out, 0), first);
    FramePtr out444 = make_frame("yuv444p", 34, 18);
    planes.process(*in, color_of(c), *out444, color_of(c), cond, 1.0f, false);  // another output format
    EXPECT_EQ(planes.plans_made(), 7);
    FramePtr small_in = make_frame("yuv420p", 20, 10), small_out = make_frame("yuv420p", 20, 10);
    planes.process(*small_in, color_of(c), *small_out, color_of(c), cond, 1.0f, false);  // another size
    EXPECT_EQ(planes.plans_made(), 9);
}

}  // namespace
}  // namespace cnnv3

namespace cnnv3 {
namespace {

// Packed RGB of fewer than 8 bits a component, two components in one byte (rgb565, rgb555,
// rgb444; zimg has no such planar format): decode gives code / (2^n - 1) per component, and
// strength 0 returns every code.
TEST(FramePlanesPackedBits, decode_and_strength_0)
{
    GpuContext gpu({});
    Model model = load_model(vectors("test-random-48"));
    NetworkRunner runner(gpu, model);
    FramePlanesGpu planes(gpu, runner);
    const PlaneColor rgb{PL_COLOR_SYSTEM_RGB, true, 0.0f, 0.5f};
    const std::array<float, 5> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
    for (const char* name : {"rgb565le", "bgr565be", "rgb555le", "rgb555be", "bgr444le", "rgb8", "x2rgb10be"}) {
        FramePtr in = make_frame(name, 33, 17), out = make_frame(name, 33, 17);
        std::mt19937 rng(11);
        std::array<std::vector<int>, 3> codes;
        for (int k = 0; k < 3; ++k) {
            codes[k].resize(33 * 17);
            for (int& v : codes[k])
                v = static_cast<int>(rng() % (static_cast<unsigned>(max_of(*in, k)) + 1));
            set(*in, k, codes[k]);
        }
        const Planes decoded = planes.decode(*in, rgb);
        double worst = 0;
        for (int k = 0; k < 3; ++k)
            for (std::size_t i = 0; i < codes[k].size(); ++i)
                worst = std::max(worst, std::abs(static_cast<double>(decoded.plane(k)[i]) * max_of(*in, k) - codes[k][i]));
        EXPECT_LE(worst, 1e-3) << name;
        planes.process(*in, rgb, *out, rgb, cond, 0.0f, false);
        for (int k = 0; k < 3; ++k)
            EXPECT_EQ(get(*out, k), codes[k]) << name << " component " << k;
    }
}

}  // namespace
}  // namespace cnnv3

namespace cnnv3 {
namespace {

// lend_output(true): the output frames get the staging buffers themselves. Frames kept referenced
// (as an encoder's queue keeps them) hold their pixels while later frames are processed - a set
// is never reused while referenced; past the pool's bound the frames are copied, and once freed
// the sets are reused instead of new ones made.
TEST(FramePlanesLend, held_frames_keep_their_pixels)
{
    GpuContext gpu({});
    Model model = load_model(vectors("test-random-48"));
    NetworkRunner runner(gpu, model);
    FramePlanesGpu planes(gpu, runner);
    planes.lend_output(true);
    const PlaneColor rgb{PL_COLOR_SYSTEM_RGB, true, 0.0f, 0.5f};
    const std::array<float, 5> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
    struct Held {
        FramePtr out;
        std::array<std::vector<int>, 3> codes;
        bool lent = false;
    };
    const auto run = [&](int frames, unsigned seed, bool keep) {
        std::vector<Held> held;
        std::vector<FramePtr> outs;
        std::vector<const uint8_t*> own;
        std::vector<std::array<std::vector<int>, 3>> codes;
        for (int i = 0; i < frames; ++i) {
            FramePtr in = make_frame("gbrp", 33, 17);
            std::mt19937 rng(seed + static_cast<unsigned>(i));
            std::array<std::vector<int>, 3> c;
            for (int k = 0; k < 3; ++k) {
                c[k].resize(33 * 17);
                for (int& v : c[k])
                    v = static_cast<int>(rng() % 256);
                set(*in, k, c[k]);
            }
            outs.push_back(make_frame("gbrp", 33, 17));
            own.push_back(outs.back()->data[0]);
            codes.push_back(std::move(c));
            planes.submit(*in, rgb, *outs.back(), rgb, cond, 0.0f, false);  // `in` is copied by submit()
            if (!keep) {
                while (planes.in_flight())
                    planes.collect();
                const bool was_lent = outs.back()->data[0] != own.back();
                for (int k = 0; k < 3; ++k)
                    EXPECT_EQ(get(*outs.back(), k), codes.back()[k]) << "frame " << i;
                outs.back().reset();  // freed at once: its set returns to the pool
                held.push_back(Held{nullptr, {}, was_lent});
            }
        }
        while (planes.in_flight())
            planes.collect();
        for (std::size_t i = 0; keep && i < outs.size(); ++i) {
            Held h{std::move(outs[i]), codes[i], false};
            h.lent = h.out->data[0] != own[i];
            held.push_back(std::move(h));
        }
        return held;
    };
    // Every frame kept: the first max_staging - frames_in_flight are lent, the rest copied.
    std::vector<Held> kept = run(FramePlanesGpu::max_staging + 4, 1, true);
    int lent = 0;
    for (std::size_t i = 0; i < kept.size(); ++i) {
        lent += kept[i].lent;
        for (int k = 0; k < 3; ++k)
            EXPECT_EQ(get(*kept[i].out, k), kept[i].codes[k]) << "frame " << i << " component " << k;
    }
    EXPECT_EQ(lent, FramePlanesGpu::max_staging - FramePlanesGpu::frames_in_flight);
    EXPECT_LE(planes.staging_sets(), FramePlanesGpu::max_staging);
    const int sets = planes.staging_sets();
    kept.clear();  // the encoder lets them go
    // Frames freed as soon as collected: every one lent, from the sets already made.
    const std::vector<Held> freed = run(12, 100, false);
    for (const Held& h : freed)
        EXPECT_TRUE(h.lent);
    EXPECT_EQ(planes.staging_sets(), sets);
}

// Off by default: the output frame's own buffers are written.
TEST(FramePlanesLend, off_by_default)
{
    GpuContext gpu({});
    Model model = load_model(vectors("test-random-48"));
    NetworkRunner runner(gpu, model);
    FramePlanesGpu planes(gpu, runner);
    const PlaneColor rgb{PL_COLOR_SYSTEM_RGB, true, 0.0f, 0.5f};
    const std::array<float, 5> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
    FramePtr in = make_frame("gbrp", 33, 17), out = make_frame("gbrp", 33, 17);
    const uint8_t* own = out->data[0];
    planes.process(*in, rgb, *out, rgb, cond, 0.0f, false);
    EXPECT_EQ(out->data[0], own);
}

}  // namespace
}  // namespace cnnv3

namespace cnnv3 {
namespace {

// Decode buffers (take_decode_buffer): a request that finds none free makes one there, on the
// asking thread (a decoder's), before any frame was submitted; a frame laid out in one (as a
// decoder's get_buffer2 would) is uploaded from it - no copy - with the copying path's result,
// stays referenced until collected, and its buffer returns to the pool (is handed out again, no new
// one made) once the frame is freed. A frame in memory of its own is copied as before; at
// max_decode_buffers lent, a request gets none.
TEST(FramePlanesDecodeBuffers, frames_decoded_into_them_are_uploaded_in_place)
{
    GpuContext gpu({});
    Model model = load_model(vectors("test-random-48"));
    NetworkRunner runner(gpu, model);
    FramePlanesGpu planes(gpu, runner);
    const int w = 66, h = 38;
    Case c{"yuv420p", "yuv420p", w, h, "709", PL_COLOR_SYSTEM_BT_709, false, "left", 0.0f, 0.5f};
    const std::array<float, 5> cond = {0.3f, 0.6f, 0.8f, 0.2f, 0.9f};
    const int size = av_image_get_buffer_size(AV_PIX_FMT_YUV420P, w, h, 64);
    ASSERT_TRUE(gpu.gpu()->limits.thread_safe) << "libplacebo's Vulkan GPUs are thread-safe";
    AVBufferRef* first = nullptr;
    std::thread([&] { first = planes.take_decode_buffer(static_cast<std::size_t>(size)); }).join();
    ASSERT_NE(first, nullptr) << "host-mapped buffers on this device";
    EXPECT_EQ(planes.decode_buffers(), 1);  // made on the asking thread, no frame submitted yet
    av_buffer_unref(&first);
    // A frame in its own memory: copied.
    FramePtr own = make_frame("yuv420p", w, h), out = make_frame("yuv420p", w, h);
    fill_smooth(*own, c);
    planes.process(*own, color_of(c), *out, color_of(c), cond, 1.0f, false);
    EXPECT_EQ(planes.uploaded_in_place(), 0);
    const auto in_buffer = [&] {
        FramePtr f(av_frame_alloc());
        f->format = AV_PIX_FMT_YUV420P;
        f->width = w;
        f->height = h;
        f->buf[0] = planes.take_decode_buffer(static_cast<std::size_t>(size));
        EXPECT_NE(f->buf[0], nullptr);
        if (f->buf[0]) {
            std::memset(f->buf[0]->data, 0, f->buf[0]->size);  // set() ORs 8-bit components into what is there
            av_image_fill_arrays(f->data, f->linesize, f->buf[0]->data, AV_PIX_FMT_YUV420P, w, h, 64);
        }
        return f;
    };
    FramePtr decoded = in_buffer();
    ASSERT_NE(decoded->buf[0], nullptr);
    EXPECT_EQ(planes.decode_buffers(), 1);  // the one returned above, taken again
    const uint8_t* where = decoded->buf[0]->data;
    for (int k = 0; k < 3; ++k)
        set(*decoded, k, get(*own, k));
    FramePtr in_place = make_frame("yuv420p", w, h);
    planes.submit(*decoded, color_of(c), *in_place, color_of(c), cond, 1.0f, false);
    EXPECT_EQ(planes.uploaded_in_place(), 3);
    decoded.reset();  // the caller lets go at once: submit() holds its own reference
    planes.collect();
    for (int k = 0; k < 3; ++k)
        EXPECT_EQ(get(*in_place, k), get(*out, k)) << "component " << k;
    // Once the frame's upload is done and its references are gone (its upload slot used again by
    // later frames), the buffer is handed out again.
    for (int i = 0; i < FramePlanesGpu::frames_in_flight; ++i)
        planes.process(*own, color_of(c), *out, color_of(c), cond, 1.0f, false);
    EXPECT_EQ(planes.decode_buffers(), 1);
    FramePtr again = in_buffer();
    ASSERT_NE(again->buf[0], nullptr);
    EXPECT_EQ(again->buf[0]->data, where);
    EXPECT_EQ(planes.decode_buffers(), 1);
    std::vector<FramePtr> taken;
    for (int i = 1; i < FramePlanesGpu::max_decode_buffers; ++i)
        taken.push_back(in_buffer());
    EXPECT_EQ(planes.decode_buffers(), FramePlanesGpu::max_decode_buffers);
    EXPECT_EQ(planes.take_decode_buffer(static_cast<std::size_t>(size)), nullptr);  // every one lent now
}

}  // namespace
}  // namespace cnnv3
