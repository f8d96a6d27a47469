#include "frame_planes_gpu.h"

#include "glsl_template.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace cnnv3 {

namespace {

constexpr int group = 16;  // workgroup side of every colour pass

// Adds the time since the last lap to `sum` (StepTimes).
class Laps {
public:
    void lap(double& sum)
    {
        const auto now = std::chrono::steady_clock::now();
        sum += std::chrono::duration<double>(now - last_).count();
        last_ = now;
    }

private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// One component of a pixel format, as FFmpeg's descriptor places it.
struct Component {
    int channel = 0;  // 0..3: Y Cb Cr A (YUV, gray) or R G B A
    int plane = 0;
    int step = 0, offset = 0, shift = 0, depth = 0;  // bytes, bytes, bits, bits
    bool chroma = false;                             // on the (subsampled) chroma grid
    int bytes() const { return shift + depth <= 8 ? 1 : shift + depth <= 16 ? 2 : 4; }
    double max() const { return static_cast<double>((1u << depth) - 1u); }
};

// A pixel format's bytes: which plane holds which component where.
struct Layout {
    int format = -1;
    bool rgb = false, gray = false, palette = false, big_endian = false, alpha = false;
    int sub_x = 0, sub_y = 0;  // log2 of the chroma subsampling
    int planes = 0;
    std::vector<Component> comps;
    int depth() const { return palette ? 8 : comps[0].depth; }
    // Chroma on a grid of its own (subsampled YUV).
    bool chroma_grid() const { return !rgb && !gray && (sub_x || sub_y); }
};

bool is_xyz(AVPixelFormat f)
{
    return f == AV_PIX_FMT_XYZ12LE || f == AV_PIX_FMT_XYZ12BE;
}

// The layout of `format`, or why the GPU path cannot read it.
std::string layout_of(int format, Layout& l)
{
    const auto f = static_cast<AVPixelFormat>(format);
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(f);
    if (!d)
        return "unknown pixel format";
    if (d->flags & AV_PIX_FMT_FLAG_HWACCEL)
        return "a hardware surface (expected frames in memory)";
    if (d->flags & AV_PIX_FMT_FLAG_FLOAT)
        return "floating-point samples";
    if (d->flags & AV_PIX_FMT_FLAG_BAYER)
        return "a Bayer mosaic";
    if (d->flags & AV_PIX_FMT_FLAG_BITSTREAM)
        return "packed bits (bitstream)";
    if (is_xyz(f))
        return "XYZ samples";
    if (f == AV_PIX_FMT_UYYVYY411)
        return "a layout FFmpeg's descriptor does not describe";
    l = Layout{};
    l.format = format;
    l.big_endian = (d->flags & AV_PIX_FMT_FLAG_BE) != 0;
    l.alpha = (d->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
    if (d->flags & AV_PIX_FMT_FLAG_PAL) {
        if (f != AV_PIX_FMT_PAL8)
            return "a palette format other than pal8";
        l.palette = l.rgb = l.alpha = true;
        l.planes = 2;  // the indices and the palette (data[1]: 256 native-endian 32-bit ARGB entries)
        return "";
    }
    l.rgb = (d->flags & AV_PIX_FMT_FLAG_RGB) != 0;
    if (l.rgb && d->nb_components < 3)
        return "RGB with fewer than three components";
    l.gray = !l.rgb && d->nb_components <= 2;
    l.sub_x = d->log2_chroma_w;
    l.sub_y = d->log2_chroma_h;
    l.planes = av_pix_fmt_count_planes(f);
    for (int c = 0; c < d->nb_components; ++c) {
        Component k;
        k.channel = l.gray && c == 1 ? 3 : c;
        k.plane = d->comp[c].plane;
        k.step = d->comp[c].step;
        k.offset = d->comp[c].offset;
        k.shift = d->comp[c].shift;
        k.depth = d->comp[c].depth;
        k.chroma = !l.rgb && !l.gray && (c == 1 || c == 2) && (l.sub_x || l.sub_y);
        if (k.depth < 1 || k.depth > 16 || k.step < 1 || k.shift + k.depth > 32)
            return "components of more than 16 bits";
        if (l.big_endian && k.bytes() == 1)
            k.offset += 1;  // FFmpeg's convention: a big-endian word's low byte (bgr565be, rgb555be)
        l.comps.push_back(k);
    }
    return "";
}

// Why the GPU path cannot write `l` ("" when it can): every byte a grid writes must be its own.
std::string write_problem(const Layout& l)
{
    if (l.palette)
        return "a palette cannot be written";
    for (const Component& a : l.comps)
        for (const Component& b : l.comps)
            if (a.plane == b.plane && a.chroma == b.chroma && a.step != b.step)
                return "components of one sample grid at different steps";
    return "";
}

// Bytes per texel of a plane's texture: 2 where every component of the plane sits on even bytes
// and one needs two (16-bit data: one texel a component, and 4K packed 16-bit rows stay under the
// texture width limit); else 1.
int unit_of(const Layout& l, int plane)
{
    if (l.palette)
        return 1;
    bool even = true, wide = false;
    for (const Component& c : l.comps)
        if (c.plane == plane) {
            even = even && c.step % 2 == 0 && c.offset % 2 == 0 && c.bytes() != 1;
            wide = wide || c.bytes() > 1;
        }
    return even && wide ? 2 : 1;
}

int plane_rows(const Layout& l, int plane, int height)
{
    if (l.palette && plane == 1)
        return 1;
    for (const Component& c : l.comps)
        if (c.plane == plane && c.chroma)
            return AV_CEIL_RSHIFT(height, l.sub_y);
    return height;
}

int plane_row_bytes(const Layout& l, int plane, int width)
{
    if (l.palette)
        return plane == 0 ? width : 1024;
    return av_image_get_linesize(static_cast<AVPixelFormat>(l.format), width, plane);
}

struct pl_color_repr repr_of(const Layout& l, const PlaneColor& color)
{
    struct pl_color_repr repr = {};
    repr.sys = l.rgb ? PL_COLOR_SYSTEM_RGB : color.system;
    repr.levels = l.rgb || color.full_range ? PL_COLOR_LEVELS_FULL : PL_COLOR_LEVELS_LIMITED;
    repr.alpha = PL_ALPHA_INDEPENDENT;
    // The reader hands the codes already normalised by the component's own maximum.
    repr.bits.sample_depth = l.depth();
    repr.bits.color_depth = l.depth();
    return repr;
}

// libplacebo's transform from the codes (normalised) to RGB, or its inverse.
std::string transform_glsl(const char* name, const Layout& l, const PlaneColor& color, bool inverse)
{
    struct pl_color_repr repr = repr_of(l, color);
    const float scale = pl_color_repr_normalize(&repr);  // 1: the codes come normalised to their depth
    struct pl_transform3x3 t = pl_color_repr_decode(&repr, nullptr);
    for (auto& row : t.mat.m)
        for (float& v : row)
            v *= scale;
    if (inverse)
        pl_transform3x3_invert(&t);
    const auto& m = t.mat.m;
    const auto row = [](const float (&r)[3]) { return fmt::format("{:.9g}, {:.9g}, {:.9g}", r[0], r[1], r[2]); };
    return fill_template(R"(vec3 {{NAME}}(vec3 c) {
    return vec3(dot(vec3({{ROW0}}), c), dot(vec3({{ROW1}}), c), dot(vec3({{ROW2}}), c)) + vec3({{OFFSET}});
}
)",
                         {{"NAME", name}, {"ROW0", row(m[0])}, {"ROW1", row(m[1])}, {"ROW2", row(m[2])}, {"OFFSET", row(t.c)}});
}

// Where chroma sits in luma samples: the offset of the first chroma sample.
std::pair<float, float> site_of(const Layout& l, const PlaneColor& color)
{
    return {color.chroma_h * static_cast<float>((1 << l.sub_x) - 1), color.chroma_v * static_cast<float>((1 << l.sub_y) - 1)};
}

// Where a pass reads the input: at luma samples (integer positions), at the input's own chroma
// sites, or anywhere. Components whose samples are there are read as they are; the others
// bilinearly, with no branch (a software device runs both sides of one).
enum class At { luma_samples, chroma_sites, anywhere };

// GLSL that reads the input's planes (samplers in0, in1, ...): `vec4 in_codes(vec2 pos)`, the
// components at luma position `pos` (texel centres at integers), each normalised by its own
// maximum (Y Cb Cr A or R G B A), those of other grids read bilinearly at their sited position,
// clamped at the edges.
std::string reader_glsl(const Layout& l, const PlaneColor& color, int width, int height, At at)
{
    std::string s;
    for (int p = 0; p < l.planes; ++p) {
        if (unit_of(l, p) == 1) {
            s += fill_template(R"(uint in{{P}}_byte(int o, int y) { return uint(texelFetch(in{{P}}, ivec2(o, y), 0).r * 255.0 + 0.5); }
)",
                               {{"P", p}});
        } else {
            s += fill_template(R"(uint in{{P}}_word(int o, int y) { return uint(texelFetch(in{{P}}, ivec2(o >> 1, y), 0).r * 65535.0 + 0.5); }
uint in{{P}}_byte(int o, int y) { uint w = in{{P}}_word(o & ~1, y); return (o & 1) != 0 ? w >> 8 : w & 255u; }
)",
                               {{"P", p}});
        }
    }
    if (l.palette) {
        s += fill_template(R"(vec4 in_entry(ivec2 q) {
    q = clamp(q, ivec2(0), ivec2({{LAST_X}}, {{LAST_Y}}));
    int i = int(in0_byte(q.x, q.y)) * 4;
    return vec4(in1_byte(i + 2, 0), in1_byte(i + 1, 0), in1_byte(i, 0), in1_byte(i + 3, 0)) / 255.0;
}
)",
                           {{"LAST_X", width - 1}, {"LAST_Y", height - 1}});
        if (at == At::luma_samples)
            return s + "vec4 in_codes(vec2 pos) { return in_entry(ivec2(pos)); }\n";
        s += "vec4 in_codes(vec2 pos) { vec2 f0 = floor(pos); vec2 f = pos - f0; ivec2 q = ivec2(f0);\n"
             "  return mix(mix(in_entry(q), in_entry(q + ivec2(1, 0)), f.x), mix(in_entry(q + ivec2(0, 1)), in_entry(q + ivec2(1, 1)), f.x), f.y); }\n";
        return s;
    }
    const int cw = AV_CEIL_RSHIFT(width, l.sub_x), ch = AV_CEIL_RSHIFT(height, l.sub_y);
    const auto [ox, oy] = site_of(l, color);
    for (std::size_t i = 0; i < l.comps.size(); ++i) {
        const Component& c = l.comps[i];
        std::string word;
        if (c.bytes() == 2 && unit_of(l, c.plane) == 2) {
            word = fill_template("in{{P}}_word(o, q.y)", {{"P", c.plane}});
            if (l.big_endian)
                word = fill_template("((({{W}}) & 255u) << 8 | ({{W}}) >> 8)", {{"W", word}});
        } else {
            for (int k = 0; k < c.bytes(); ++k)
                word += fill_template("{{OR}}(in{{P}}_byte(o + {{K}}, q.y) << {{SHIFT}})",
                                      {{"OR", k ? " | " : ""}, {"P", c.plane}, {"K", k},
                                       {"SHIFT", 8 * (l.big_endian ? c.bytes() - 1 - k : k)}});
        }
        const int unit = unit_of(l, c.plane);
        bool alone = c.bytes() == unit && c.shift == 0 && (unit == 1 || !l.big_endian);
        for (const Component& d : l.comps)  // rgb565's B shares its byte with G
            if (&d != &c && d.plane == c.plane && d.offset < c.offset + c.bytes() && c.offset < d.offset + d.bytes())
                alone = false;
        const int last_x = (c.chroma ? cw : width) - 1, last_y = (c.chroma ? ch : height) - 1;
        if (alone) {
            // A component alone in its texel (planar, nv12, rgb24...): the unorm value, rescaled
            // from the texel's range to the component's (exact for codes up to 16 bits).
            const double texel_max = unit == 1 ? 255.0 : 65535.0;
            s += fill_template(R"(float in_comp{{I}}(ivec2 q) {
    q = clamp(q, ivec2(0), ivec2({{LAST_X}}, {{LAST_Y}}));
    return texelFetch(in{{P}}, ivec2(q.x * {{STEP}} + {{OFFSET}}, q.y), 0).r * {{SCALE}};
}
)",
                               {{"I", static_cast<int>(i)}, {"LAST_X", last_x}, {"LAST_Y", last_y}, {"P", c.plane},
                                {"STEP", c.step / unit}, {"OFFSET", c.offset / unit},
                                {"SCALE", fmt::format("{:.9g}", texel_max / c.max())}});
        } else {
            s += fill_template(R"(float in_comp{{I}}(ivec2 q) {
    q = clamp(q, ivec2(0), ivec2({{LAST_X}}, {{LAST_Y}}));
    int o = q.x * {{STEP}} + {{OFFSET}};
    return float((({{WORD}}) >> {{SHIFT}}) & {{MASK}}u) / {{MAX}};
}
)",
                               {{"I", static_cast<int>(i)}, {"LAST_X", last_x}, {"LAST_Y", last_y}, {"STEP", c.step},
                                {"OFFSET", c.offset}, {"WORD", word}, {"SHIFT", c.shift},
                                {"MASK", fmt::format("{}", static_cast<unsigned>(c.max()))},
                                {"MAX", fmt::format("{:.1f}", c.max())}});
        }
        const std::string grid =
            c.chroma ? fill_template("(pos - vec2({{SITE_X}}, {{SITE_Y}})) / vec2({{SUB_X}}.0, {{SUB_Y}}.0)",
                                     {{"SITE_X", fmt::format("{:.9g}", ox)}, {"SITE_Y", fmt::format("{:.9g}", oy)},
                                      {"SUB_X", 1 << l.sub_x}, {"SUB_Y", 1 << l.sub_y}})
                     : "pos";
        if ((at == At::luma_samples && !c.chroma) || (at == At::chroma_sites && c.chroma)) {
            s += fill_template("float in_sample{{I}}(vec2 pos) { return in_comp{{I}}(ivec2(round({{GRID}}))); }\n",
                               {{"I", static_cast<int>(i)}, {"GRID", grid}});
            continue;
        }
        s += fill_template(R"(float in_sample{{I}}(vec2 pos) {
    vec2 g = {{GRID}};
    vec2 f0 = floor(g);
    vec2 f = g - f0;
    ivec2 q = ivec2(f0);
    return mix(mix(in_comp{{I}}(q), in_comp{{I}}(q + ivec2(1, 0)), f.x),
               mix(in_comp{{I}}(q + ivec2(0, 1)), in_comp{{I}}(q + ivec2(1, 1)), f.x), f.y);
}
)",
                           {{"I", static_cast<int>(i)}, {"GRID", grid}});
    }
    // Gray: neutral chroma (libplacebo's: 2^(n-1) / (2^n - 1)); no alpha: opaque.
    const int d = l.depth();
    const std::string neutral = fmt::format("{:.9g}", static_cast<double>(1 << (d - 1)) / ((1 << d) - 1));
    std::array<std::string, 4> expr = {"0.0", neutral, neutral, "1.0"};
    for (std::size_t i = 0; i < l.comps.size(); ++i)
        expr[l.comps[i].channel] = fill_template("in_sample{{I}}(pos)", {{"I", static_cast<int>(i)}});
    s += fill_template("vec4 in_codes(vec2 pos) { return vec4({{C0}}, {{C1}}, {{C2}}, {{C3}}); }\n",
                       {{"C0", expr[0]}, {"C1", expr[1]}, {"C2", expr[2]}, {"C3", expr[3]}});
    return s;
}

// The luma-sample taps of a tent filter over one output cell of `s` luma samples whose sample sits
// `offset` luma samples into it (weight 1 - |d| / s at luma distance d, normalised): zimg's
// bilinear downsampling. Integer offsets from floor(sample position); one tap where s is 1.
std::vector<std::pair<int, float>> tent(int s, float offset)
{
    if (s <= 1)
        return {{0, 1.0f}};
    std::vector<std::pair<int, float>> taps;
    const float frac = offset - std::floor(offset);
    float total = 0.0f;
    for (int k = -s; k <= s; ++k) {
        const float d = static_cast<float>(k) - frac;  // luma distance of the tap from the sample
        const float w = 1.0f - std::abs(d) / static_cast<float>(s);
        if (w > 0.0f) {
            taps.emplace_back(k, w);
            total += w;
        }
    }
    for (auto& t : taps)
        t.second /= total;
    return taps;
}

struct pl_desc_binding sampled(pl_tex tex)
{
    struct pl_desc_binding b = {};
    b.object = tex;
    b.sample_mode = PL_TEX_SAMPLE_NEAREST;
    b.address_mode = PL_TEX_ADDRESS_CLAMP;
    return b;
}

struct pl_desc_binding storage(pl_tex tex)
{
    struct pl_desc_binding b = {};
    b.object = tex;
    return b;
}

}  // namespace

std::string gpu_format_problem(int av_pixel_format, bool write)
{
    Layout l;
    std::string problem = layout_of(av_pixel_format, l);
    if (problem.empty() && write)
        problem = write_problem(l);
    return problem;
}

// A frame's planes on the GPU, each as r8 or r16 texels of its bytes (Plane::unit), with a staging
// buffer; the input's are sampleable and host-writable, the output's storable and host-readable.
struct FramePlanesGpu::Side {
    struct Plane {
        GpuTexture tex;
        // The input's staging, one per frame in flight: GPU objects are kept, never made per frame
        // (GpuContext::wait_idle). The output's are Staging sets.
        std::array<GpuBuffer, FramePlanesGpu::frames_in_flight> buf;
        // The input uploaded from a decode buffer, one per frame in flight: a reference to the
        // frame's buffer that keeps the memory alive (and out of the decoder's hands) until the
        // upload is done.
        struct Unref {
            void operator()(AVBufferRef* r) const { av_buffer_unref(&r); }
        };
        using Held = std::unique_ptr<AVBufferRef, Unref>;
        std::array<Held, FramePlanesGpu::frames_in_flight> held;
        int unit = 1;       // bytes per texel
        int row_bytes = 0;  // bytes of a row the frame uses
        int rows = 0;
        std::size_t pitch = 0;  // bytes from one row to the next in staging
    };
    Layout layout;
    int width = 0, height = 0;
    std::vector<Plane> planes;
};

// One frame's output staging buffers (a plane each), lent to the frame collect() fills when
// lend_output() is on: `lent` counts the plane buffers an AVFrame still references; the encoder's
// thread only decrements it (release_staging), the runner's thread recycles the set at 0.
struct FramePlanesGpu::Staging {
    std::vector<GpuBuffer> planes;
    std::atomic<int> lent{0};
    bool in_flight = false;  // a download into it is queued and not yet collected
};

namespace {

// av_buffer_create()'s free callback, on whichever thread drops the last reference.
void release_staging(void* lent, uint8_t*)
{
    static_cast<std::atomic<int>*>(lent)->fetch_sub(1, std::memory_order_release);
}

// Padding after a lent plane's last row, as av_frame_get_buffer() leaves for SIMD reads past it.
constexpr std::size_t lent_padding = 64;

}  // namespace

// The decode buffers (take_decode_buffer()): made, taken and returned on the decoder's threads,
// looked up on the runner's; `mutex` guards the list, `lent` each buffer's state.
struct FramePlanesGpu::DecodePool {
    struct Buffer {
        GpuBuffer buf;
        std::size_t size = 0;
        std::atomic<bool> lent{false};
    };
    mutable std::mutex mutex;
    std::vector<std::unique_ptr<Buffer>> buffers;  // only grows (stable addresses for the callbacks)
    int making = 0;                                // being made outside the lock (counted against the maximum)
    bool can_make = true;                          // false after a failure: this device's memory will not do

    static void give_back(void* buffer, uint8_t*)
    {
        static_cast<Buffer*>(buffer)->lent.store(false, std::memory_order_release);
    }
    // The buffer holding the byte at `data`, or nullptr.
    const Buffer* holding(const uint8_t* data) const
    {
        std::lock_guard lock(mutex);
        for (const auto& b : buffers) {
            const uint8_t* base = b->buf.get()->data;
            if (data >= base && data < base + b->size)
                return b.get();
        }
        return nullptr;
    }
};

FramePlanesGpu::FramePlanesGpu(GpuContext& gpu, NetworkRunner& runner)
    : gpu_(gpu), runner_(runner), in_(std::make_unique<Side>()), out_(std::make_unique<Side>()),
      decode_pool_(std::make_unique<DecodePool>())
{
    // Made on the decoder's threads: only where libplacebo's calls may come from any thread.
    decode_pool_->can_make = gpu_.gpu()->limits.thread_safe;
}

AVBufferRef* FramePlanesGpu::take_decode_buffer(std::size_t size) noexcept
{
    DecodePool& pool = *decode_pool_;
    const auto lend = [](DecodePool::Buffer& b, std::size_t bytes) {
        AVBufferRef* ref = av_buffer_create(b.buf.get()->data, bytes, DecodePool::give_back, &b, 0);
        if (!ref)
            b.lent.store(false, std::memory_order_release);
        return ref;
    };
    {
        std::lock_guard lock(pool.mutex);
        for (const auto& b : pool.buffers) {
            bool free = false;
            if (b->size >= size && b->lent.compare_exchange_strong(free, true, std::memory_order_acquire))
                return lend(*b, size);
        }
        if (!pool.can_make || static_cast<int>(pool.buffers.size()) + pool.making >= max_decode_buffers ||
            size > gpu_.gpu()->limits.max_mapped_size)
            return nullptr;
        ++pool.making;
    }
    // None free: one more, made here (the device's allocation, outside the lock: the other decoder
    // threads keep taking and returning buffers meanwhile).
    std::unique_ptr<DecodePool::Buffer> made;
    try {
        made = std::make_unique<DecodePool::Buffer>();
        struct pl_buf_params b = {};
        b.size = size;
        b.host_writable = true;
        b.host_readable = true;  // host-cached memory: decoders read their reference frames back
        b.host_mapped = true;
        b.memory_type = PL_BUF_MEM_HOST;
        made->buf = GpuBuffer(gpu_.gpu(), b);
        made->size = size;
    } catch (...) {  // the decoder's C code calls this: nothing may escape
        made.reset();
    }
    std::lock_guard lock(pool.mutex);
    --pool.making;
    if (!made || !made->buf.get()->data) {  // not host-mapped here: the decoder keeps its own buffers
        pool.can_make = false;
        return nullptr;
    }
    made->lent.store(true, std::memory_order_relaxed);
    try {
        pool.buffers.push_back(std::move(made));
    } catch (...) {
        return nullptr;  // out of memory: the buffer goes (made, never lent)
    }
    return lend(*pool.buffers.back(), size);
}

int FramePlanesGpu::decode_buffers() const
{
    std::lock_guard lock(decode_pool_->mutex);
    return static_cast<int>(decode_pool_->buffers.size());
}

FramePlanesGpu::~FramePlanesGpu()
{
    gpu_.wait_idle();  // before the textures, staging buffers and passes go (GpuContext::wait_idle)
    for (Side::Plane& plane : in_->planes)  // the input frames still referenced: back to their owners
        for (Side::Plane::Held& held : plane.held)
            held.reset();
    bool lent = false;
    for (const auto& b : decode_pool_->buffers)
        lent = lent || b->lent.load(std::memory_order_acquire);
    if (lent)  // a decoder still holds some (the contract says it must be closed first): their
        decode_pool_.release();  // give_back callbacks find their flags, never freed memory
}

void FramePlanesGpu::forget_plans()
{
    decode_plans_.clear();
    encode_plans_.clear();
}

void FramePlanesGpu::ensure_size(int width, int height)
{
    if (width == width_ && height == height_)
        return;
    drain();  // the frames in flight use what is replaced below
    if (width_)
        gpu_.wait_idle();  // textures and passes in use by the queue are replaced below
    forget_plans();
    passes_.clear();       // they hold the size
    width_ = width;
    height_ = height;
    pl_gpu gpu = gpu_.gpu();
    pl_fmt rgb_fmt = pl_find_fmt(gpu, PL_FMT_FLOAT, 4, 16, 16,
                                 static_cast<enum pl_fmt_caps>(PL_FMT_CAP_SAMPLEABLE | PL_FMT_CAP_STORABLE));
    if (!rgb_fmt)
        throw GpuError("the GPU has no storable rgba16f texture");
    struct pl_tex_params t = {};
    t.w = width;
    t.h = height;
    t.format = rgb_fmt;
    t.sampleable = true;
    t.storable = true;
    rgb_ = GpuTexture(gpu, t);
    t.format = runner_.output_format();
    for (GpuTexture& n : net_)
        n = GpuTexture(gpu, t);
    have_prev_ = false;
}

void FramePlanesGpu::ensure_side(Side& side, const AVFrame& frame, bool input)
{
    if (frame.width < 1 || frame.height < 1)
        throw GpuError("FramePlanesGpu: an empty frame");
    ensure_size(frame.width, frame.height);
    if (side.layout.format == frame.format && side.width == frame.width && side.height == frame.height)
        return;
    drain();  // their staging buffers are replaced below
    const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame.format));
    Layout l;
    std::string problem = layout_of(frame.format, l);
    if (problem.empty() && !input)
        problem = write_problem(l);
    if (!problem.empty())
        throw GpuError(fmt::format("{}: {} (expected integer YUV, gray or RGB of up to 16 bits{})", name ? name : "?",
                                   problem, input ? "" : ", not a palette"));
    if (side.layout.format >= 0)
        gpu_.wait_idle();
    forget_plans();  // they bind the textures replaced here
    pl_gpu gpu = gpu_.gpu();
    side.planes.clear();
    for (int p = 0; p < l.planes; ++p) {
        Side::Plane plane;
        plane.unit = unit_of(l, p);
        plane.row_bytes = plane_row_bytes(l, p, frame.width);
        plane.rows = plane_rows(l, p, frame.height);
        const int texels = (plane.row_bytes + plane.unit - 1) / plane.unit;
        plane.pitch = static_cast<std::size_t>(texels) * plane.unit;
        if (!input) {  // rows as av_frame_get_buffer() aligns them, so that encoders can take the buffers as they are
            const std::size_t align = std::max<std::size_t>(64, gpu->limits.align_tex_xfer_pitch);
            plane.pitch = (plane.pitch + align - 1) / align * align;
        }
        const auto caps = static_cast<enum pl_fmt_caps>(
            input ? PL_FMT_CAP_SAMPLEABLE | PL_FMT_CAP_HOST_READABLE : PL_FMT_CAP_STORABLE | PL_FMT_CAP_HOST_READABLE);
        pl_fmt fmt = pl_find_fmt(gpu, PL_FMT_UNORM, 1, 8 * plane.unit, 8 * plane.unit, caps);
        if (!fmt)
            throw GpuError(fmt::format("the GPU has no {}-bit single-channel {} texture format", 8 * plane.unit,
                                       input ? "sampleable" : "storable"));
        if (texels > gpu_.max_texture_size() || plane.rows > gpu_.max_texture_size())
            throw GpuError(fmt::format("{}x{} {} frames need a {}x{} plane texture, larger than this GPU allows",
                                       frame.width, frame.height, name, texels, plane.rows));
        struct pl_tex_params t = {};
        t.w = texels;
        t.h = plane.rows;
        t.format = fmt;
        t.sampleable = input;
        t.storable = !input;
        t.host_writable = input;
        t.host_readable = !input;
        plane.tex = GpuTexture(gpu, t);
        if (input) {
            struct pl_buf_params b = {};
            b.size = plane.pitch * plane.rows;
            b.host_writable = true;
            b.host_mapped = b.size <= gpu->limits.max_mapped_size;
            b.memory_type = PL_BUF_MEM_HOST;
            for (GpuBuffer& buf : plane.buf)
                buf = GpuBuffer(gpu, b);
        }
        side.planes.push_back(std::move(plane));
    }
    if (!input) {  // the sets of the old layout go; those still lent wait in retired_ until returned
        for (auto& set : staging_)
            if (set->lent.load(std::memory_order_acquire) > 0)
                retired_.push_back(std::move(set));
        staging_.clear();
    }
    side.layout = l;
    side.width = frame.width;
    side.height = frame.height;
}

void FramePlanesGpu::upload(const AVFrame& in)
{
    pl_gpu gpu = gpu_.gpu();
    for (std::size_t p = 0; p < in_->planes.size(); ++p) {
        Side::Plane& plane = in_->planes[p];
        const std::size_t pitch = plane.pitch;
        if (!in.data[p])
            throw GpuError(fmt::format("the input frame has no plane {}", p));
        // This slot's earlier decode buffer: its frame was collected, so its upload has finished.
        Side::Plane::Held& held = plane.held[slot_];
        held.reset();
        struct pl_tex_transfer_params up = {};
        up.tex = plane.tex.get();
        // Decoded into one of the decode buffers (a reference-counted buffer, rows the texture's
        // texel alignment apart): uploaded from there, the frame's buffer referenced until done.
        AVBufferRef* holder = av_frame_get_plane_buffer(const_cast<AVFrame*>(&in), static_cast<int>(p));
        const auto linesize = static_cast<std::size_t>(in.linesize[p]);
        const bool in_place = holder && in.linesize[p] > 0 && linesize % plane.tex.get()->params.format->texel_align == 0;
        if (const DecodePool::Buffer* pooled = in_place ? decode_pool_->holding(in.data[p]) : nullptr) {
            const auto offset = static_cast<std::size_t>(in.data[p] - pooled->buf.get()->data);
            if (offset + linesize * static_cast<std::size_t>(plane.rows - 1) + pitch <= pooled->size) {
                held.reset(av_buffer_ref(holder));
                if (!held)
                    throw GpuError("out of memory referencing the input frame");
                up.buf = pooled->buf.get();
                up.buf_offset = offset;
                up.row_pitch = linesize;
                if (!pl_tex_upload(gpu, &up))
                    throw GpuError("plane upload failed");
                ++uploaded_in_place_;
                continue;
            }
        }
        pl_buf buf = plane.buf[slot_].get();
        uint8_t* dst = buf->data;
        if (dst) {
            while (pl_buf_poll(gpu, buf, UINT64_MAX)) {
            }  // an earlier frame's upload from this buffer has finished (at once: that frame was collected)
        } else {
            packed_.resize(pitch * plane.rows);
            dst = packed_.data();
        }
        for (int y = 0; y < plane.rows; ++y)
            std::memcpy(dst + pitch * y, in.data[p] + static_cast<std::ptrdiff_t>(in.linesize[p]) * y,
                        static_cast<std::size_t>(plane.row_bytes));
        if (!buf->data)
            pl_buf_write(gpu, buf, 0, packed_.data(), pitch * plane.rows);
        up.buf = buf;
        up.buf_offset = 0;
        up.row_pitch = pitch;
        if (!pl_tex_upload(gpu, &up))
            throw GpuError("plane upload failed");
    }
}

// The pass of `key` (formats, colours, grid; the size is the current one), made from `body` (the
// GLSL after the declarations of `descs`) on first use.
const ComputePass& FramePlanesGpu::pass(const std::string& key, const std::vector<ComputeDesc>& descs,
                                        const std::function<std::string()>& body, bool push_strength)
{
    if (auto found = passes_.find(key); found != passes_.end())
        return *found->second;
    pl_gpu gpu = gpu_.gpu();
    std::string glsl = fill_template(R"(#version {{VERSION}}
layout(local_size_x = {{GROUP}}, local_size_y = {{GROUP}}) in;
)",
                                     {{"VERSION", gpu->glsl.version}, {"GROUP", group}});
    for (std::size_t i = 0; i < descs.size(); ++i) {
        if (descs[i].type == PL_DESC_SAMPLED_TEX)
            glsl += fill_template("layout(binding = {{BINDING}}) uniform sampler2D {{NAME}};\n",
                                  {{"BINDING", static_cast<int>(i)}, {"NAME", descs[i].name}});
    }
    if (push_strength)
        glsl += "layout(std430, push_constant) uniform CnnV3Strength { float strength; };\n";
    glsl += body();
    auto made = std::make_unique<ComputePass>(gpu, descs, glsl, push_strength ? sizeof(float) : 0,
                                              "the colour conversion pass " + key);
    return *passes_.emplace(key, std::move(made)).first->second;
}

// The input's planes -> RGB unclamped in `target` (a storable float RGBA texture of the frame's size).
void FramePlanesGpu::decode_pass(const PlaneColor& color, pl_tex target)
{
    auto plan = std::find_if(decode_plans_.begin(), decode_plans_.end(), [&](const DecodePlan& p) {
        return p.color == color && p.target_format == target->params.format;
    });
    if (plan == decode_plans_.end()) {
        plan = decode_plans_.insert(decode_plans_.end(), make_decode_plan(color, target));
        ++plans_made_;
    }
    plan->bindings.back().object = target;
    plan->pass->run(plan->bindings, (width_ + group - 1) / group, (height_ + group - 1) / group);
}

// decode_pass()'s pass and bindings for `color` and the format of `target`, made once.
FramePlanesGpu::DecodePlan FramePlanesGpu::make_decode_plan(const PlaneColor& color, pl_tex target)
{
    const Layout& l = in_->layout;
    std::vector<ComputeDesc> descs;
    DecodePlan plan;
    plan.color = color;
    plan.target_format = target->params.format;
    for (std::size_t p = 0; p < in_->planes.size(); ++p) {
        descs.push_back({fmt::format("in{}", p), PL_DESC_SAMPLED_TEX});
        plan.bindings.push_back(sampled(in_->planes[p].tex.get()));
    }
    descs.push_back({"cnnv3_rgb", PL_DESC_STORAGE_IMG, PL_DESC_ACCESS_WRITEONLY});
    plan.bindings.push_back(storage(target));  // last: set per frame
    const std::string key = fmt::format("decode {} {} {} {} {} {} -> {}", l.format, static_cast<int>(color.system),
                                        color.full_range, color.chroma_h, color.chroma_v, l.depth(),
                                        target->params.format->name);
    const auto body = [&] {
        return fill_template("layout(binding = {{BINDING}}, {{FORMAT}}) writeonly uniform image2D cnnv3_rgb;\n",
                             {{"BINDING", static_cast<int>(descs.size() - 1)}, {"FORMAT", target->params.format->glsl_format}}) +
               reader_glsl(l, color, width_, height_, At::luma_samples) + transform_glsl("in_decode", l, color, false) +
               fill_template(R"(void main() {
    ivec2 q = ivec2(gl_GlobalInvocationID.xy);
    if (q.x >= {{WIDTH}} || q.y >= {{HEIGHT}}) return;
    imageStore(cnnv3_rgb, q, vec4(in_decode(in_codes(vec2(q)).rgb), 1.0));
}
)",
                             {{"WIDTH", width_}, {"HEIGHT", height_}});
    };
    plan.pass = &pass(key, descs, body, false);
    return plan;
}

// The output's planes, one pass per sample grid: at each sample, the input's codes there (exact
// where the grids agree, else tent-filtered over the output cell) decoded to RGB and mixed with
// the network's RGB `net` (tent-filtered over the cell) by `strength`, then encoded and stored as
// the output's bytes. strength == nullptr: no input, the output is `net` (encode()).
void FramePlanesGpu::encode_passes(const PlaneColor& in_color, const PlaneColor& out_color, pl_tex net,
                                   const float* strength, Staging& staging)
{
    const bool with_input = strength != nullptr;
    // Strength 1 (the usual run) has passes of their own that read no input colour: the network's
    // RGB alone, the input's alpha where the output has alpha.
    const bool mix = with_input && *strength != 1.0f;
    auto plan = std::find_if(encode_plans_.begin(), encode_plans_.end(), [&](const EncodePlan& p) {
        return p.in_color == in_color && p.out_color == out_color && p.with_input == with_input && p.mix == mix;
    });
    if (plan == encode_plans_.end()) {
        plan = encode_plans_.insert(encode_plans_.end(), make_encode_plan(in_color, out_color, with_input, mix));
        ++plans_made_;
    }
    for (EncodePlan::Grid& grid : plan->grids) {
        grid.bindings[grid.net_at].object = net;
        grid.pass->run(grid.bindings, grid.groups_x, grid.groups_y, mix ? strength : nullptr);
    }
    pl_gpu gpu = gpu_.gpu();
    for (std::size_t p = 0; p < out_->planes.size(); ++p) {
        Side::Plane& plane = out_->planes[p];
        struct pl_tex_transfer_params down = {};
        down.tex = plane.tex.get();
        down.buf = staging.planes[p].get();
        down.row_pitch = plane.pitch;
        if (!pl_tex_download(gpu, &down))
            throw GpuError("plane download failed");
    }
    staging.in_flight = true;
}

// encode_passes()'s passes and bindings for these colours and strength mode, made once (the
// network's texture is bound per frame).
FramePlanesGpu::EncodePlan FramePlanesGpu::make_encode_plan(const PlaneColor& in_color, const PlaneColor& out_color,
                                                            bool with_input, bool mix)
{
    const Layout& o = out_->layout;
    EncodePlan plan;
    plan.in_color = in_color;
    plan.out_color = out_color;
    plan.with_input = with_input;
    plan.mix = mix;
    for (const bool chroma : {false, true}) {
        if (chroma && !o.chroma_grid())
            continue;
        const int sx = chroma ? 1 << o.sub_x : 1, sy = chroma ? 1 << o.sub_y : 1;
        const std::pair<float, float> site = chroma ? site_of(o, out_color) : std::pair(0.0f, 0.0f);
        const float ox = site.first, oy = site.second;  // not a structured binding: the lambda below captures them
        const int gw = chroma ? AV_CEIL_RSHIFT(width_, o.sub_x) : width_;
        const int gh = chroma ? AV_CEIL_RSHIFT(height_, o.sub_y) : height_;

        std::vector<ComputeDesc> descs;
        std::vector<struct pl_desc_binding> bindings;
        if (with_input)
            for (std::size_t p = 0; p < in_->planes.size(); ++p) {
                descs.push_back({fmt::format("in{}", p), PL_DESC_SAMPLED_TEX});
                bindings.push_back(sampled(in_->planes[p].tex.get()));
            }
        const std::size_t net_at = bindings.size();
        descs.push_back({"cnnv3_net", PL_DESC_SAMPLED_TEX});
        bindings.push_back(sampled(nullptr));  // the network's output, bound per frame
        std::string decls;
        std::vector<int> planes;  // the output planes this grid writes
        for (int p = 0; p < o.planes; ++p)
            for (const Component& c : o.comps)
                if (c.plane == p && c.chroma == chroma) {
                    planes.push_back(p);
                    decls += fill_template("layout(binding = {{BINDING}}, {{FORMAT}}) writeonly uniform image2D out{{P}};\n",
                                           {{"BINDING", static_cast<int>(descs.size())},
                                            {"FORMAT", out_->planes[p].tex.get()->params.format->glsl_format}, {"P", p}});
                    descs.push_back({fmt::format("out{}", p), PL_DESC_STORAGE_IMG, PL_DESC_ACCESS_WRITEONLY});
                    bindings.push_back(storage(out_->planes[p].tex.get()));
                    break;
                }
        if (planes.empty())
            continue;

        const Layout& i = in_->layout;
        const std::string key = fmt::format(
            "encode {} {} {} {} {} -> {} {} {} {} {} grid {}{}", with_input ? i.format : -1, static_cast<int>(in_color.system),
            in_color.full_range, in_color.chroma_h, in_color.chroma_v, o.format, static_cast<int>(out_color.system),
            out_color.full_range, out_color.chroma_h, out_color.chroma_v, chroma ? "chroma" : "luma", mix ? " mix" : "");
        // The shader text only where the pass is new.
        const auto body = [&] {
            // The input's samples coincide with this grid's: its luma grid, or chroma sited the same.
            const bool exact = !chroma || (i.chroma_grid() && i.sub_x == o.sub_x && i.sub_y == o.sub_y &&
                                           site_of(i, in_color) == site_of(o, out_color));
            const auto taps_x = tent(sx, ox), taps_y = tent(sy, oy);
            std::string net_sum, in_sum;
            for (const auto& [dy, wy] : taps_y)
                for (const auto& [dx, wx] : taps_x) {
                    const std::vector<std::pair<std::string_view, TemplateValue>> tap = {
                        {"W", fmt::format("{:.9g}", wx * wy)}, {"DX", dx}, {"DY", dy}};
                    net_sum += fill_template(
                        "    net += {{W}} * texelFetch(cnnv3_net, clamp(base + ivec2({{DX}}, {{DY}}), ivec2(0), last), 0).rgb;\n", tap);
                    in_sum += fill_template(
                        "    codes += {{W}} * in_codes(vec2(clamp(base + ivec2({{DX}}, {{DY}}), ivec2(0), last)));\n", tap);
                }
            std::string body = decls;
            if (with_input)
                body += reader_glsl(i, in_color, width_, height_, !chroma || !exact ? At::luma_samples : At::chroma_sites) +
                        transform_glsl("in_decode", i, in_color, false);
            body += transform_glsl("out_encode", o, out_color, true);
            body += fill_template(R"(void main() {
    ivec2 q = ivec2(gl_GlobalInvocationID.xy);
    if (q.x >= {{GRID_W}} || q.y >= {{GRID_H}}) return;
    vec2 pos = vec2(q) * vec2({{SUB_X}}.0, {{SUB_Y}}.0) + vec2({{SITE_X}}, {{SITE_Y}});
    ivec2 base = ivec2(floor(pos));
    ivec2 last = ivec2({{LAST_X}}, {{LAST_Y}});
    vec3 net = vec3(0.0);
{{NET_TAPS}})",
                                  {{"GRID_W", gw}, {"GRID_H", gh}, {"SUB_X", sx}, {"SUB_Y", sy},
                                   {"SITE_X", fmt::format("{:.9g}", ox)}, {"SITE_Y", fmt::format("{:.9g}", oy)},
                                   {"LAST_X", width_ - 1}, {"LAST_Y", height_ - 1}, {"NET_TAPS", net_sum}});
            if (with_input) {
                body += exact ? "    vec4 codes = in_codes(pos);\n" : "    vec4 codes = vec4(0.0);\n" + in_sum;
                body += mix ? "    vec4 color = vec4(mix(in_decode(codes.rgb), net, strength), codes.a);\n"
                            : "    vec4 color = vec4(net, codes.a);\n";
            } else {
                body += "    vec4 color = vec4(net, 1.0);\n";
            }
            body += "    color.rgb = out_encode(color.rgb);\n";
            // Each plane's bytes of this grid's sample: the components rounded to their codes, shifted
            // and split into bytes in the format's byte order; bytes no component covers are padding where
            // the plane is this grid's alone, else another grid's and left alone.
            for (int p : planes) {
                const int unit = out_->planes[p].unit;
                int step = 0;
                bool alone = true;
                std::vector<const Component*> comps;
                for (const Component& c : o.comps)
                    if (c.plane == p) {
                        if (c.chroma == chroma) {
                            comps.push_back(&c);
                            step = c.step;
                        } else {
                            alone = false;
                        }
                    }
                body += "    {\n";
                for (const Component* c : comps)
                    body += fill_template("        uint w{{C}} = uint(round(clamp(color[{{C}}], 0.0, 1.0) * {{MAX}})) << {{SHIFT}};\n",
                                          {{"C", c->channel}, {"MAX", fmt::format("{:.1f}", c->max())}, {"SHIFT", c->shift}});
                std::vector<std::optional<std::string>> bytes(static_cast<std::size_t>(step));
                for (int k = 0; k < step; ++k) {
                    std::string e;
                    for (const Component* c : comps)
                        if (k >= c->offset && k < c->offset + c->bytes()) {
                            const int in_word = o.big_endian ? c->bytes() - 1 - (k - c->offset) : k - c->offset;
                            e += fill_template("{{OR}}((w{{C}} >> {{SHIFT}}) & 255u)",
                                               {{"OR", e.empty() ? "" : " | "}, {"C", c->channel}, {"SHIFT", 8 * in_word}});
                        }
                    if (!e.empty())
                        bytes[k] = e;
                    else if (alone)
                        bytes[k] = "255u";  // padding (rgb0, bgr0...): 255, as swscale writes it
                }
                for (int k = 0; k < step; k += unit) {
                    std::string value;
                    if (unit == 1) {
                        if (!bytes[k])
                            continue;
                        value = *bytes[k];
                    } else {
                        if (!bytes[k] && !bytes[k + 1])
                            continue;
                        value = fill_template("({{LOW}}) | (({{HIGH}}) << 8)",
                                              {{"LOW", bytes[k].value_or("0u")}, {"HIGH", bytes[k + 1].value_or("0u")}});
                    }
                    // +0.25: the unorm store rounds to this code whichever way it rounds.
                    body += fill_template(
                        "        imageStore(out{{P}}, ivec2(q.x * {{STEP}} + {{INDEX}}, q.y), vec4((float({{VALUE}}) + 0.25) / {{MAX}}));\n",
                        {{"P", p}, {"STEP", step / unit}, {"INDEX", k / unit}, {"VALUE", value},
                         {"MAX", unit == 1 ? "255.0" : "65535.0"}});
                }
                body += "    }\n";
            }
            body += "}\n";
            return body;
        };
        plan.grids.push_back({&pass(key, descs, body, mix), std::move(bindings), net_at, (gw + group - 1) / group,
                              (gh + group - 1) / group});
    }
    return plan;
}

FramePlanesGpu::Staging& FramePlanesGpu::take_staging()
{
    std::erase_if(retired_, [](const std::unique_ptr<Staging>& set) { return set->lent.load(std::memory_order_acquire) == 0; });
    for (auto& set : staging_)
        if (!set->in_flight && set->lent.load(std::memory_order_acquire) == 0)
            return *set;
    // Every set is downloading or lent: one more (download() lends no more than leaves one free).
    if (static_cast<int>(staging_.size()) >= max_staging)
        throw GpuError("no free output staging buffers");
    pl_gpu gpu = gpu_.gpu();
    auto set = std::make_unique<Staging>();
    for (const Side::Plane& plane : out_->planes) {
        struct pl_buf_params b = {};
        b.size = plane.pitch * plane.rows + lent_padding;
        b.host_readable = true;
        b.host_mapped = b.size <= gpu->limits.max_mapped_size;
        b.memory_type = PL_BUF_MEM_HOST;
        set->planes.emplace_back(gpu, b);
    }
    staging_.push_back(std::move(set));
    return *staging_.back();
}

void FramePlanesGpu::download(AVFrame& out, Staging& staging)
{
    pl_gpu gpu = gpu_.gpu();
    staging.in_flight = false;
    bool mapped = true;
    for (const GpuBuffer& buf : staging.planes)
        mapped = mapped && buf.get()->data;
    int lent = 0;
    for (const auto& set : staging_)
        lent += set->lent.load(std::memory_order_acquire) > 0;
    Laps laps;
    if (lend_ && mapped && out.buf[0] && lent < max_staging - frames_in_flight) {
        for (const GpuBuffer& buf : staging.planes)
            while (pl_buf_poll(gpu, buf.get(), UINT64_MAX)) {
            }  // the download has landed
        laps.lap(times_.wait);
        lend(out, staging);
        laps.lap(times_.hand_over);
        return;
    }
    for (std::size_t p = 0; p < out_->planes.size(); ++p) {
        Side::Plane& plane = out_->planes[p];
        pl_buf buf = staging.planes[p].get();
        const std::size_t pitch = plane.pitch;
        const uint8_t* src = buf->data;
        if (src) {
            while (pl_buf_poll(gpu, buf, UINT64_MAX)) {
            }  // the download has landed
            laps.lap(times_.wait);
        } else {
            packed_.resize(pitch * plane.rows);
            if (!pl_buf_read(gpu, buf, 0, packed_.data(), pitch * plane.rows))
                throw GpuError("plane download failed");
            src = packed_.data();
        }
        for (int y = 0; y < plane.rows; ++y)
            std::memcpy(out.data[p] + static_cast<std::ptrdiff_t>(out.linesize[p]) * y, src + pitch * y,
                        static_cast<std::size_t>(plane.row_bytes));
        laps.lap(times_.hand_over);
    }
}

// `out`'s planes become `staging`'s buffers (its own are released), referenced until the frame's
// holders free them.
void FramePlanesGpu::lend(AVFrame& out, Staging& staging)
{
    for (int i = 0; i < AV_NUM_DATA_POINTERS; ++i) {
        av_buffer_unref(&out.buf[i]);
        out.data[i] = nullptr;
        out.linesize[i] = 0;
    }
    const int planes = static_cast<int>(out_->planes.size());
    staging.lent.store(planes, std::memory_order_relaxed);
    for (int p = 0; p < planes; ++p) {
        pl_buf buf = staging.planes[static_cast<std::size_t>(p)].get();
        out.buf[p] = av_buffer_create(buf->data, buf->params.size, release_staging, &staging.lent, AV_BUFFER_FLAG_READONLY);
        if (!out.buf[p]) {
            staging.lent.fetch_sub(planes - p, std::memory_order_release);
            throw GpuError("out of memory lending the output planes");
        }
        out.data[p] = buf->data;
        out.linesize[p] = static_cast<int>(out_->planes[static_cast<std::size_t>(p)].pitch);
    }
    out.extended_data = out.data;
}

void FramePlanesGpu::process(const AVFrame& in, const PlaneColor& in_color, AVFrame& out, const PlaneColor& out_color,
                             std::span<const float> cond, float strength, bool feedback)
{
    drain();
    submit(in, in_color, out, out_color, cond, strength, feedback);
    collect();
}

void FramePlanesGpu::submit(const AVFrame& in, const PlaneColor& in_color, AVFrame& out, const PlaneColor& out_color,
                            std::span<const float> cond, float strength, bool feedback)
{
    if (out.width != in.width || out.height != in.height)
        throw GpuError("the output frame must have the input's size");
    ensure_side(*in_, in, true);
    ensure_side(*out_, out, false);
    submit_with(in, in_color, out, out_color, cond, strength, feedback && have_prev_ ? net_[current_].get() : nullptr);
}

// submit() with `prev` as the network's prev.rgb (nullptr: zeros); the sides are ensured.
void FramePlanesGpu::submit_with(const AVFrame& in, const PlaneColor& in_color, AVFrame& out,
                                 const PlaneColor& out_color, std::span<const float> cond, float strength, pl_tex prev)
{
    while (in_flight() >= frames_in_flight)
        collect();
    Laps laps;
    upload(in);
    laps.lap(times_.upload);
    decode_pass(in_color, rgb_.get());  // the network's input, RGB unclamped (the runner clamps)
    laps.lap(times_.decode);
    current_ = 1 - current_;
    runner_.run(rgb_.get(), net_[current_].get(), cond, 1.0f, prev);
    have_prev_ = true;
    laps.lap(times_.network);
    Staging& staging = take_staging();
    encode_passes(in_color, out_color, net_[current_].get(), &strength, staging);
    laps.lap(times_.encode);
    pl_gpu_flush(gpu_.gpu());  // start now; collect() waits for it
    laps.lap(times_.flush);
    ++times_.frames;
    pending_.push_back({&out, &staging});
    slot_ = (slot_ + 1) % frames_in_flight;
}

void FramePlanesGpu::process(const AVFrame& in, const PlaneColor& in_color, AVFrame& out, const PlaneColor& out_color,
                             std::span<const float> cond, float strength, const Planes* prev, Planes* net)
{
    if (out.width != in.width || out.height != in.height)
        throw GpuError("the output frame must have the input's size");
    if (prev && (prev->channels != 3 || prev->width != in.width || prev->height != in.height))
        throw GpuError("prev: expected 3 RGB planes of the frame's size");
    drain();
    ensure_side(*in_, in, true);
    ensure_side(*out_, out, false);
    submit_with(in, in_color, out, out_color, cond, strength, prev ? runner_.upload_rgb(*prev) : nullptr);
    if (net) {  // this frame's network output copied into the runner's rgba32f download texture
        pl_tex target = runner_.download_target(width_, height_);
        const std::vector<ComputeDesc> descs = {{"cnnv3_net", PL_DESC_SAMPLED_TEX},
                                                {"cnnv3_copy", PL_DESC_STORAGE_IMG, PL_DESC_ACCESS_WRITEONLY}};
        const auto body = [&] {
            return fill_template(R"(layout(binding = 1, {{FORMAT}}) writeonly uniform image2D cnnv3_copy;
void main() {
    ivec2 q = ivec2(gl_GlobalInvocationID.xy);
    if (q.x >= {{WIDTH}} || q.y >= {{HEIGHT}}) return;
    imageStore(cnnv3_copy, q, vec4(texelFetch(cnnv3_net, q, 0).rgb, 1.0));
}
)",
                                 {{"FORMAT", target->params.format->glsl_format}, {"WIDTH", width_}, {"HEIGHT", height_}});
        };
        const struct pl_desc_binding bindings[] = {sampled(net_[current_].get()), storage(target)};
        pass(fmt::format("copy net -> {}", target->params.format->name), descs, body, false)
            .run(bindings, (width_ + group - 1) / group, (height_ + group - 1) / group);
        *net = runner_.download_rgb();
    }
    collect();
}

void FramePlanesGpu::collect()
{
    if (pending_.empty())
        return;
    const Pending p = pending_.front();
    pending_.erase(pending_.begin());
    try {
        download(*p.out, *p.staging);
    } catch (...) {
        for (const Pending& q : pending_)
            q.staging->in_flight = false;
        pending_.clear();  // the GPU failed: nothing in flight will be written
        throw;
    }
}

void FramePlanesGpu::drain()
{
    while (!pending_.empty())
        collect();
}

Planes FramePlanesGpu::decode(const AVFrame& in, const PlaneColor& color)
{
    drain();
    ensure_side(*in_, in, true);
    upload(in);
    decode_pass(color, runner_.download_target(in.width, in.height));
    return runner_.download_rgb();
}

void FramePlanesGpu::encode(const Planes& rgb, AVFrame& out, const PlaneColor& color)
{
    if (rgb.channels != 3 || rgb.width != out.width || rgb.height != out.height)
        throw GpuError("encode: expected 3 RGB planes of the frame's size");
    drain();
    ensure_side(*out_, out, false);
    Staging& staging = take_staging();
    encode_passes(color, color, runner_.upload_rgb(rgb), nullptr, staging);
    download(out, staging);
}

}  // namespace cnnv3
