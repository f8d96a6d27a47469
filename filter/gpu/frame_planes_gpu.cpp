#include "frame_planes_gpu.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}
#include <libplacebo/shaders/colorspace.h>
#include <libplacebo/shaders/custom.h>

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

namespace cnnv3 {

struct FramePlanesGpu::Plane {
    GpuTexture tex;
    GpuBuffer buf;  // staging: GPU objects are kept, never made per frame (GpuContext::wait_idle)
    int w = 0, h = 0;
};

std::string planar_yuv_problem(int av_pixel_format)
{
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(av_pixel_format));
    if (!d)
        return "unknown pixel format";
    if (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT |
                    AV_PIX_FMT_FLAG_BAYER | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_BE))
        return "not little-endian integer YUV";
    if (!(d->flags & AV_PIX_FMT_FLAG_PLANAR) || d->nb_components < 3)
        return "not planar YUV with three planes";
    const int depth = d->comp[0].depth;
    const int bytes = depth > 8 ? 2 : 1;
    for (int c = 0; c < d->nb_components; ++c) {
        const AVComponentDescriptor& comp = d->comp[c];
        if (comp.plane != c || comp.offset != 0 || comp.shift != 0 || comp.step != bytes || comp.depth != depth)
            return "components not one per plane at one depth";
    }
    return "";
}

namespace {

pl_fmt plane_format(pl_gpu gpu, int bytes, enum pl_fmt_caps caps)
{
    return pl_find_fmt(gpu, PL_FMT_UNORM, 1, bytes * 8, bytes * 8, caps);
}

struct pl_color_repr repr_of(const PlaneColor& color, int depth)
{
    struct pl_color_repr repr = {};
    repr.sys = color.system;
    repr.levels = color.full_range ? PL_COLOR_LEVELS_FULL : PL_COLOR_LEVELS_LIMITED;
    repr.alpha = PL_ALPHA_INDEPENDENT;
    // The shader hands pl_shader_decode_color codes already scaled to the component's own depth.
    repr.bits.sample_depth = depth;
    repr.bits.color_depth = depth;
    return repr;
}

void add_custom(pl_shader sh, const std::string& body, enum pl_shader_sig input, enum pl_shader_sig output)
{
    struct pl_custom_shader c = {};
    c.body = body.c_str();
    c.input = input;
    c.output = output;
    if (!pl_shader_custom(sh, &c))
        throw GpuError("cannot build the colour conversion shader");
}

struct pl_shader_desc sampled(const char* name, pl_tex tex)
{
    struct pl_shader_desc d = {};
    d.desc.name = name;
    d.desc.type = PL_DESC_SAMPLED_TEX;
    d.binding.object = tex;
    d.binding.sample_mode = PL_TEX_SAMPLE_NEAREST;
    d.binding.address_mode = PL_TEX_ADDRESS_CLAMP;
    return d;
}

}  // namespace

FramePlanesGpu::FramePlanesGpu(GpuContext& gpu, NetworkRunner& runner) : gpu_(gpu), runner_(runner) {}

FramePlanesGpu::~FramePlanesGpu()
{
    gpu_.wait_idle();  // before the textures and staging buffers go (GpuContext::wait_idle)
}

void FramePlanesGpu::ensure(const AVFrame& in)
{
    if (in.format == format_ && in.width == width_ && in.height == height_)
        return;
    if (const std::string problem = planar_yuv_problem(in.format); !problem.empty())
        throw GpuError(fmt::format("{}: {} (expected planar YUV)", av_get_pix_fmt_name(static_cast<AVPixelFormat>(in.format)), problem));
    if (format_ >= 0)
        gpu_.wait_idle();  // textures in use by the queue are replaced below
    const AVPixFmtDescriptor& d = *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(in.format));
    format_ = in.format;
    width_ = in.width;
    height_ = in.height;
    depth_ = d.comp[0].depth;
    bytes_ = depth_ > 8 ? 2 : 1;
    sub_x_ = d.log2_chroma_w;
    sub_y_ = d.log2_chroma_h;
    pl_gpu gpu = gpu_.gpu();
    pl_fmt in_fmt = plane_format(gpu, bytes_, static_cast<enum pl_fmt_caps>(PL_FMT_CAP_SAMPLEABLE | PL_FMT_CAP_HOST_READABLE));
    pl_fmt out_fmt = plane_format(gpu, bytes_, static_cast<enum pl_fmt_caps>(PL_FMT_CAP_STORABLE | PL_FMT_CAP_HOST_READABLE));
    if (!in_fmt || !out_fmt)
        throw GpuError(fmt::format("the GPU has no {}-bit single-channel storable texture format", bytes_ * 8));
    auto make = [&](std::unique_ptr<Plane>& p, int w, int h, bool upload) {
        p = std::make_unique<Plane>();
        p->w = w;
        p->h = h;
        struct pl_tex_params t = {};
        t.w = w;
        t.h = h;
        t.format = upload ? in_fmt : out_fmt;
        t.sampleable = upload;
        t.storable = !upload;
        t.host_writable = upload;
        t.host_readable = !upload;
        p->tex = GpuTexture(gpu, t);
        struct pl_buf_params b = {};
        b.size = static_cast<std::size_t>(w) * h * bytes_;
        b.host_writable = upload;
        b.host_readable = !upload;
        b.host_mapped = b.size <= gpu->limits.max_mapped_size;
        b.memory_type = PL_BUF_MEM_HOST;
        p->buf = GpuBuffer(gpu, b);
    };
    const int cw = AV_CEIL_RSHIFT(width_, sub_x_), ch = AV_CEIL_RSHIFT(height_, sub_y_);
    for (int i = 0; i < 3; ++i) {
        make(in_[i], i ? cw : width_, i ? ch : height_, true);
        make(out_[i], i ? cw : width_, i ? ch : height_, false);
    }
    pl_fmt rgb_fmt = pl_find_fmt(gpu, PL_FMT_FLOAT, 4, 16, 16,
                                 static_cast<enum pl_fmt_caps>(PL_FMT_CAP_SAMPLEABLE | PL_FMT_CAP_STORABLE));
    if (!rgb_fmt)
        throw GpuError("the GPU has no storable rgba16f texture");
    struct pl_tex_params t = {};
    t.w = width_;
    t.h = height_;
    t.format = rgb_fmt;
    t.sampleable = true;
    t.storable = true;
    rgb_ = GpuTexture(gpu, t);
    t.format = runner_.output_format();
    for (GpuTexture& n : net_)
        n = GpuTexture(gpu, t);
    have_prev_ = false;
}

void FramePlanesGpu::upload(const AVFrame& in)
{
    pl_gpu gpu = gpu_.gpu();
    for (int i = 0; i < 3; ++i) {
        Plane& p = *in_[i];
        const std::size_t row = static_cast<std::size_t>(p.w) * bytes_;
        uint8_t* dst = p.buf.get()->data;
        if (!dst) {
            packed_.resize(row * p.h);
            dst = packed_.data();
        }
        for (int y = 0; y < p.h; ++y)
            std::memcpy(dst + row * y, in.data[i] + static_cast<std::ptrdiff_t>(in.linesize[i]) * y, row);
        if (!p.buf.get()->data)
            pl_buf_write(gpu, p.buf.get(), 0, packed_.data(), row * p.h);
        struct pl_tex_transfer_params up = {};
        up.tex = p.tex.get();
        up.buf = p.buf.get();
        if (!pl_tex_upload(gpu, &up))
            throw GpuError("plane upload failed");
    }
}

namespace {

// The network's output at a chroma sample: a tent filter over the luma samples within one chroma
// cell (weight 1 - |d| / subsampling at luma distance d, normalised, separable) - zimg's bilinear
// downsampling - so the full-resolution output does not alias into the chroma planes. The input's
// own chroma needs none: it is read back at its sited positions, exactly (strength 0 keeps it).
std::vector<std::pair<float, float>> tent(float s, float offset)
{
    std::vector<std::pair<float, float>> taps;  // luma distance, weight
    if (s <= 1.0f)
        return {{0.0f, 1.0f}};
    float total = 0.0f;
    const float frac = offset - std::floor(offset);
    for (float d = -std::ceil(s) - frac; d < s; d += 1.0f) {
        const float w = 1.0f - std::abs(d) / s;
        if (w > 0.0f) {
            taps.emplace_back(d, w);
            total += w;
        }
    }
    for (auto& t : taps)
        t.second /= total;
    return taps;
}

std::string tent_taps(float sx, float ox, float sy, float oy)
{
    std::string code;
    for (const auto& [dy, wy] : tent(sy, oy))
        for (const auto& [dx, wx] : tent(sx, ox))
            code += fmt::format("    sum += {:.9g} * cnnv3_bilinear(cnnv3_net, p + vec2({:.9g}, {:.9g}));\n", wx * wy, dx, dy);
    return code;
}

}  // namespace

// GLSL helpers: cnnv3_bilinear() reads a plane at texel coordinates (texel centres at integers,
// clamped at the edges) in exact float math, whatever filtering the format allows;
// cnnv3_ycbcr(p) gives the codes at luma position p scaled to the component depth, chroma from
// its sited position; cnnv3_pos() is the luma position of the pixel being written (a chroma
// sample's own position where chroma_grid).
std::string FramePlanesGpu::shader_header(const PlaneColor& color, bool chroma_grid) const
{
    const float sx = static_cast<float>(1 << sub_x_), sy = static_cast<float>(1 << sub_y_);
    const float ox = color.chroma_h * (sx - 1.0f), oy = color.chroma_v * (sy - 1.0f);
    // Codes of `depth_` bits stored in 16-bit texels: unorm16 reads code / 65535.
    const double scale = bytes_ == 2 ? 65535.0 / ((1 << depth_) - 1) : 1.0;
    return fmt::format(R"(
vec4 cnnv3_bilinear(sampler2D t, vec2 p)
{{
    ivec2 last = textureSize(t, 0) - 1;
    vec2 f0 = floor(p);
    vec2 f = p - f0;
    ivec2 i0 = clamp(ivec2(f0), ivec2(0), last);
    ivec2 i1 = clamp(ivec2(f0) + 1, ivec2(0), last);
    vec4 a = mix(texelFetch(t, i0, 0), texelFetch(t, ivec2(i1.x, i0.y), 0), f.x);
    vec4 b = mix(texelFetch(t, ivec2(i0.x, i1.y), 0), texelFetch(t, i1, 0), f.x);
    return mix(a, b, f.y);
}}
const vec2 cnnv3_sub = vec2({:.1f}, {:.1f});
const vec2 cnnv3_site = vec2({:.9g}, {:.9g});
vec4 cnnv3_ycbcr(vec2 p)
{{
    vec2 q = (p - cnnv3_site) / cnnv3_sub;
    return vec4(cnnv3_bilinear(cnnv3_y, p).r, cnnv3_bilinear(cnnv3_cb, q).r, cnnv3_bilinear(cnnv3_cr, q).r, 1.0)
         * vec4(vec3({:.9g}), 1.0);
}}
vec2 cnnv3_pos()
{{
    vec2 own = vec2(gl_GlobalInvocationID.xy);
    return {};
}}
vec4 cnnv3_net_at(vec2 p)
{{
    vec4 sum = vec4(0.0);
{}
    return sum;
}}
)",
                       sx, sy, ox, oy, scale, chroma_grid ? "own * cnnv3_sub + cnnv3_site" : "own",
                       chroma_grid ? tent_taps(sx, ox, sy, oy) : "    sum = cnnv3_bilinear(cnnv3_net, p);");
}

// One compute pass over `target` (an image the size of the pixels it writes; `net` is what
// `mix_body` may read as cnnv3_net; component 1 writes Cr into out_[2] as well): the input's codes at
// the pixel's luma position, decoded to RGB; then `mix_body` on `color`; encoded back when
// `component` >= 0 (that component, rounded to its code and scaled to the texel), else stored as RGB.
// Compute rather than raster: pl_dispatch_finish's raster passes stream vertex data per draw,
// which lavapipe's queue thread was seen to crash on mid-run.
void FramePlanesGpu::dispatch(const PlaneColor& color, bool chroma_grid, const std::string& mix_body, int component,
                              pl_tex target, pl_tex net)
{
    pl_dispatch dp = gpu_.dispatch();
    pl_shader sh = pl_dispatch_begin(dp);
    struct pl_shader_desc descs[6] = {
        sampled("cnnv3_y", in_[0]->tex.get()),
        sampled("cnnv3_cb", in_[1]->tex.get()),
        sampled("cnnv3_cr", in_[2]->tex.get()),
        sampled("cnnv3_net", net),
    };
    descs[4].desc.name = "cnnv3_out";
    descs[4].desc.type = PL_DESC_STORAGE_IMG;
    descs[4].desc.access = PL_DESC_ACCESS_WRITEONLY;
    descs[4].binding.object = target;
    // The chroma pass writes Cr too (component 1: Cb into target, Cr into out_[2]): one pass per grid.
    const bool both_chroma = component == 1;
    if (both_chroma) {
        descs[5] = descs[4];
        descs[5].desc.name = "cnnv3_out2";
        descs[5].binding.object = out_[2]->tex.get();
    }
    struct pl_custom_shader c = {};
    const std::string header = shader_header(color, chroma_grid);
    c.header = header.c_str();
    c.body = "color = cnnv3_ycbcr(cnnv3_pos());";
    c.description = "cnnv3 frame planes";
    c.input = PL_SHADER_SIG_NONE;
    c.output = PL_SHADER_SIG_COLOR;
    c.descriptors = descs;
    c.num_descriptors = both_chroma ? 6 : 5;
    c.compute = true;
    c.compute_group_size[0] = 16;
    c.compute_group_size[1] = 16;
    if (!pl_shader_custom(sh, &c))
        throw GpuError("cannot build the colour conversion shader");
    struct pl_color_repr repr = repr_of(color, depth_);
    pl_shader_decode_color(sh, &repr, nullptr);
    add_custom(sh, mix_body, PL_SHADER_SIG_COLOR, PL_SHADER_SIG_COLOR);
    std::string store;
    // The code rounded here, so any float-to-unorm rounding of the image store keeps it.
    const double max_code = (1 << depth_) - 1;
    const double container = bytes_ == 2 ? 65535.0 : 255.0;
    auto code_of = [&](int i) {
        return fmt::format("vec4(round(clamp(color[{}], 0.0, 1.0) * {:.1f}) / {:.1f})", i, max_code, container);
    };
    if (component >= 0) {
        const struct pl_color_repr out_repr = repr_of(color, depth_);
        pl_shader_encode_color(sh, &out_repr);
        store = fmt::format("    imageStore(cnnv3_out, cnnv3_at, {});\n", code_of(component));
        if (both_chroma)
            store += fmt::format("    imageStore(cnnv3_out2, cnnv3_at, {});\n", code_of(2));
    } else {
        store = "    imageStore(cnnv3_out, cnnv3_at, vec4(color.rgb, 1.0));\n";
    }
    add_custom(sh,
               fmt::format("ivec2 cnnv3_at = ivec2(gl_GlobalInvocationID.xy);\n"
                           "if (all(lessThan(cnnv3_at, imageSize(cnnv3_out)))) {{\n{}}}",
                           store),
               PL_SHADER_SIG_COLOR, PL_SHADER_SIG_NONE);
    struct pl_dispatch_compute_params params = {};
    params.shader = &sh;
    params.dispatch_size[0] = (target->params.w + 15) / 16;
    params.dispatch_size[1] = (target->params.h + 15) / 16;
    params.dispatch_size[2] = 1;
    if (!pl_dispatch_compute(dp, &params))
        throw GpuError("the colour conversion pass failed");
}

void FramePlanesGpu::process(const AVFrame& in, AVFrame& out, const PlaneColor& color, std::span<const float> cond,
                             float strength, bool feedback)
{
    if (out.format != in.format || out.width != in.width || out.height != in.height)
        throw GpuError("the output frame must have the input's format and size");
    ensure(in);
    const int previous = current_;
    run(in, out, color, cond, strength, feedback && have_prev_ ? net_[previous].get() : nullptr);
}

void FramePlanesGpu::process(const AVFrame& in, AVFrame& out, const PlaneColor& color, std::span<const float> cond,
                             float strength, const Planes* prev, Planes* net)
{
    if (out.format != in.format || out.width != in.width || out.height != in.height)
        throw GpuError("the output frame must have the input's format and size");
    if (prev && (prev->channels != 3 || prev->width != in.width || prev->height != in.height))
        throw GpuError("prev: expected 3 RGB planes of the frame's size");
    ensure(in);
    pl_tex prev_tex = nullptr;
    if (prev) {
        prev_tex = float_texture(true);
        upload_rgb(*prev, prev_tex);
    }
    run(in, out, color, cond, strength, prev_tex);
    if (net) {
        pl_tex copy = float_texture(false);
        dispatch(color, false, "color.rgb = cnnv3_bilinear(cnnv3_net, cnnv3_pos()).rgb;", -1, copy,
                 net_[current_].get());
        *net = download_rgb(copy);
    }
}

// One frame: `in` uploaded, decoded, through the network (into the other net_ slot, with `prev`),
// mixed and encoded into `out`.
void FramePlanesGpu::run(const AVFrame& in, AVFrame& out, const PlaneColor& color, std::span<const float> cond,
                         float strength, pl_tex prev)
{
    upload(in);
    dispatch(color, false, "", -1, rgb_.get(), rgb_.get());  // the network's input, RGB unclamped (the runner clamps)
    current_ = 1 - current_;
    runner_.run(rgb_.get(), net_[current_].get(), cond, 1.0f, prev);
    have_prev_ = true;
    encode_planes(color, fmt::format("color.rgb = mix(color.rgb, cnnv3_net_at(cnnv3_pos()).rgb, {:.9g});", strength),
                  net_[current_].get());
    download(out);
    if (in.data[3] && out.data[3])  // alpha: the input's, as the network keeps it
        av_image_copy_plane(out.data[3], out.linesize[3], in.data[3], in.linesize[3], in.width * bytes_, in.height);
}

void FramePlanesGpu::encode_planes(const PlaneColor& color, const std::string& mix_body, pl_tex net)
{
    dispatch(color, false, mix_body, 0, out_[0]->tex.get(), net);
    dispatch(color, true, mix_body, 1, out_[1]->tex.get(), net);  // Cb and Cr
    pl_gpu gpu = gpu_.gpu();
    for (int i = 0; i < 3; ++i) {
        struct pl_tex_transfer_params down = {};
        down.tex = out_[i]->tex.get();
        down.buf = out_[i]->buf.get();
        if (!pl_tex_download(gpu, &down))
            throw GpuError("plane download failed");
    }
}

void FramePlanesGpu::download(AVFrame& out)
{
    pl_gpu gpu = gpu_.gpu();
    for (int i = 0; i < 3; ++i) {
        Plane& p = *out_[i];
        const std::size_t row = static_cast<std::size_t>(p.w) * bytes_;
        const uint8_t* src = p.buf.get()->data;
        if (src) {
            while (pl_buf_poll(gpu, p.buf.get(), UINT64_MAX)) {
            }  // the download has landed
        } else {
            packed_.resize(row * p.h);
            if (!pl_buf_read(gpu, p.buf.get(), 0, packed_.data(), row * p.h))
                throw GpuError("plane download failed");
            src = packed_.data();
        }
        for (int y = 0; y < p.h; ++y)
            std::memcpy(out.data[i] + static_cast<std::ptrdiff_t>(out.linesize[i]) * y, src + row * y, row);
    }
}

// An rgba32f texture of the frame's size for decode()/encode()'s transfers, kept while the size stays.
pl_tex FramePlanesGpu::float_texture(bool upload)
{
    GpuTexture& tex = upload ? float_in_ : float_out_;
    if (tex && tex.get()->params.w == width_ && tex.get()->params.h == height_)
        return tex.get();
    pl_gpu gpu = gpu_.gpu();
    if (tex)
        gpu_.wait_idle();
    struct pl_tex_params t = {};
    t.w = width_;
    t.h = height_;
    t.format = pl_find_fmt(gpu, PL_FMT_FLOAT, 4, 32, 32,
                           static_cast<enum pl_fmt_caps>(upload ? PL_FMT_CAP_SAMPLEABLE
                                                                : PL_FMT_CAP_STORABLE | PL_FMT_CAP_HOST_READABLE));
    if (!t.format)
        throw GpuError("the GPU has no rgba32f texture for RGB transfers");
    t.sampleable = upload;
    t.storable = !upload;
    t.host_writable = upload;
    t.host_readable = !upload;
    tex = GpuTexture(gpu, t);
    return tex.get();
}

Planes FramePlanesGpu::decode(const AVFrame& in, const PlaneColor& color)
{
    ensure(in);
    upload(in);
    pl_tex target = float_texture(false);
    dispatch(color, false, "", -1, target, in_[0]->tex.get());  // nothing reads cnnv3_net here
    return download_rgb(target);
}

// RGB planes of the frame's size into an rgba32f texture (alpha 1), and back, through kept host
// buffers: host-pointer transfers were seen to deadlock lavapipe's queue thread mid-run.
namespace {

GpuBuffer& rgba_buffer(GpuBuffer& buf, pl_gpu gpu, std::size_t bytes, bool upload)
{
    if (buf && buf.get()->params.size == bytes)
        return buf;
    struct pl_buf_params b = {};
    b.size = bytes;
    b.host_writable = upload;
    b.host_readable = !upload;
    b.host_mapped = bytes <= gpu->limits.max_mapped_size;
    b.memory_type = PL_BUF_MEM_HOST;
    buf = GpuBuffer(gpu, b);
    return buf;
}

}  // namespace

void FramePlanesGpu::upload_rgb(const Planes& rgb, pl_tex target)
{
    pl_gpu gpu = gpu_.gpu();
    const std::size_t bytes = rgb.plane_size() * 4 * sizeof(float);
    if (rgba_up_ && rgba_up_.get()->params.size != bytes)
        gpu_.wait_idle();  // replaced below
    GpuBuffer& buf = rgba_buffer(rgba_up_, gpu, bytes, true);
    float* rgba = reinterpret_cast<float*>(buf.get()->data);
    if (rgba) {
        while (pl_buf_poll(gpu, buf.get(), UINT64_MAX)) {
        }  // the previous upload has finished reading it
    } else {
        rgba_.resize(bytes / sizeof(float));
        rgba = rgba_.data();
    }
    for (std::size_t i = 0; i < rgb.plane_size(); ++i) {
        for (int c = 0; c < 3; ++c)
            rgba[i * 4 + c] = rgb.plane(c)[i];
        rgba[i * 4 + 3] = 1.0f;
    }
    if (!buf.get()->data)
        pl_buf_write(gpu, buf.get(), 0, rgba, bytes);
    struct pl_tex_transfer_params up = {};
    up.tex = target;
    up.buf = buf.get();
    if (!pl_tex_upload(gpu, &up))
        throw GpuError("RGB upload failed");
}

Planes FramePlanesGpu::download_rgb(pl_tex source)
{
    pl_gpu gpu = gpu_.gpu();
    const std::size_t bytes = static_cast<std::size_t>(width_) * height_ * 4 * sizeof(float);
    if (rgba_down_ && rgba_down_.get()->params.size != bytes)
        gpu_.wait_idle();
    GpuBuffer& buf = rgba_buffer(rgba_down_, gpu, bytes, false);
    struct pl_tex_transfer_params down = {};
    down.tex = source;
    down.buf = buf.get();
    if (!pl_tex_download(gpu, &down))
        throw GpuError("RGB download failed");
    const float* rgba = reinterpret_cast<const float*>(buf.get()->data);
    if (rgba) {
        while (pl_buf_poll(gpu, buf.get(), UINT64_MAX)) {
        }  // the download has landed
    } else {
        rgba_.resize(bytes / sizeof(float));
        if (!pl_buf_read(gpu, buf.get(), 0, rgba_.data(), bytes))
            throw GpuError("RGB download failed");
        rgba = rgba_.data();
    }
    Planes rgb(3, height_, width_);
    for (std::size_t i = 0; i < rgb.plane_size(); ++i)
        for (int c = 0; c < 3; ++c)
            rgb.plane(c)[i] = rgba[i * 4 + c];
    return rgb;
}

void FramePlanesGpu::encode(const Planes& rgb, AVFrame& out, const PlaneColor& color)
{
    if (rgb.channels != 3 || rgb.width != out.width || rgb.height != out.height)
        throw GpuError("encode: expected 3 RGB planes of the frame's size");
    ensure(out);
    pl_tex source = float_texture(true);
    upload_rgb(rgb, source);
    encode_planes(color, "color.rgb = cnnv3_net_at(cnnv3_pos()).rgb;", source);
    download(out);
}

}  // namespace cnnv3
