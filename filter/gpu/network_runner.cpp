#include "network_runner.h"

#include "compute_pass.h"
#include "excerpt.h"
#include "film.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace cnnv3 {
namespace {

int level_size(int full, Level level)
{
    for (int i = 0; i < static_cast<int>(level); ++i)
        full = (full + 1) / 2;
    return full;
}

pl_fmt find_format(pl_gpu gpu, int depth, enum pl_fmt_caps caps)
{
    return pl_find_fmt(gpu, PL_FMT_FLOAT, 4, depth, depth, caps);
}

}  // namespace

// What "auto" becomes on a device. Tensor cores where the device has them (GpuContext::coop_matrix)
// and auto_uses_tensor_cores allows it, with tc16's f16 sums where the device has their shape, else
// tch's (auto_uses_f16_sums, auto_uses_f16_results). Else f16 tiles and products on hardware that grants
// shaderFloat16 (the speed is there; the error stays under 1/255); f32 elsewhere, including
// software devices, where f16 buys no speed and the f32 margin to the reference is twice as wide
// (0.38 vs 0.95/255 on the random [8,16] test model). The whole shared memory the device offers in
// every case.
RunnerVariant RunnerVariant::for_device(const GpuContext& gpu)
{
    RunnerVariant v;
    const bool f16 = gpu.shader_f16() && !gpu.device().software;
    v.precision = f16 ? RunnerVariant::Precision::f16 : RunnerVariant::Precision::f32;
    v.tensor = auto_uses_tensor_cores && gpu.coop_matrix();
    if (v.tensor && auto_uses_f16_results)
        v.sums = auto_uses_f16_sums && gpu.coop_f16_sums() ? CoopSums::f16 : CoopSums::f32_stored_f16;
    return v;
}

namespace {

// The tensor-core variants by name: parse() and name() both read this table.
struct TensorVariantName {
    const char* name;
    CoopSums sums;
    bool fuse_low_res;
};
constexpr TensorVariantName tensor_variant_names[] = {
    {"tc", CoopSums::f32, false},
    {"tc3", CoopSums::f32, true},
    {"tch", CoopSums::f32_stored_f16, false},
    {"tc16", CoopSums::f16, false},
};

}  // namespace

RunnerVariant RunnerVariant::parse(std::string_view spec)
{
    RunnerVariant v;
    if (spec == "auto") {
        v.automatic = true;
        return v;
    }
    for (const TensorVariantName& t : tensor_variant_names)
        if (spec == t.name) {
            v.tensor = true;
            v.sums = t.sums;
            v.fuse_low_res = t.fuse_low_res;
            return v;
        }
    if (spec == "hook") {
        v.hook = true;
        v.shared_kib = 16;
        return v;
    }
    const std::size_t dash = spec.find('-');
    const std::string_view precision = spec.substr(0, dash);
    if (precision == "f32")
        v.precision = Precision::f32;
    else if (precision == "f16s")
        v.precision = Precision::f16_tiles;
    else if (precision == "f16")
        v.precision = Precision::f16;
    else {
        std::string tensor_names;  // "tc, tc3, ..., " from the table parse() and name() read
        for (const TensorVariantName& t : tensor_variant_names)
            tensor_names += fmt::format("{}, ", t.name);
        throw GpuError(fmt::format("GPU variant '{}': starts with f32, f16s or f16, or is {}hook or auto", excerpt(spec),
                                   tensor_names));
    }
    for (std::size_t at = dash; at != std::string_view::npos;) {
        const std::size_t next = spec.find('-', at + 1);
        const std::string_view part = spec.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
        at = next;
        int n = 0;
        const char* const digits_end = part.data() + part.size() - 1;
        if (part.size() > 1 && part.back() == 'k' && std::from_chars(part.data(), digits_end, n).ptr == digits_end &&
                 n >= 16)
            v.shared_kib = n;
        else
            throw GpuError(fmt::format("GPU variant '{}': '{}' is not <N>k with N >= 16", excerpt(spec), excerpt(part)));
    }
    return v;
}

std::string RunnerVariant::name() const
{
    if (automatic)
        return "auto";
    if (hook)
        return "hook";
    if (tensor) {
        for (const TensorVariantName& t : tensor_variant_names)
            if (t.sums == sums && t.fuse_low_res == fuse_low_res)
                return t.name;
        throw GpuError("RunnerVariant::name: a tensor-core variant without a name");
    }
    std::string s = precision == Precision::f32 ? "f32" : precision == Precision::f16_tiles ? "f16s" : "f16";
    if (shared_kib)
        s += fmt::format("-{}k", shared_kib);
    return s;
}

NetworkRunner::NetworkRunner(GpuContext& gpu, const Model& model, std::string_view variant) : gpu_(gpu), model_(model)
{
    if (variant.empty()) {
        const char* env = std::getenv("CNNV3_GPU_VARIANT");
        variant = env && *env ? env : "auto";
    }
    variant_ = RunnerVariant::parse(variant);
    if (variant_.automatic)
        variant_ = RunnerVariant::for_device(gpu_);
    if (variant_.tensor && !gpu_.coop_matrix()) {
        gpu_.warn(fmt::format("GPU {} ({}) cannot run the tensor-core variant ({}): it runs {}", gpu_.device().index,
                              gpu_.device().name, gpu_.coop_matrix_problem(), RunnerVariant::for_device(gpu_).name()));
        variant_ = RunnerVariant::for_device(gpu_);
    }
    if (variant_.sums == CoopSums::f16 && !gpu_.coop_f16_sums()) {
        gpu_.warn(fmt::format("GPU {} ({}) has no f16 x f16 + f16 16x8x16 cooperative-matrix shape: variant tc16 runs tch",
                              gpu_.device().index, gpu_.device().name));
        variant_.sums = CoopSums::f32_stored_f16;
    }
    if (variant_.tensor)  // layers whose tensor-core form does not fit shared memory keep the FMA form
        variant_.precision = RunnerVariant::for_device(gpu_).precision;
    if (variant_.precision != RunnerVariant::Precision::f32 && !gpu_.shader_f16()) {
        gpu_.warn(fmt::format("GPU {} ({}) has no shaderFloat16: variant {} runs in f32", gpu_.device().index,
                              gpu_.device().name, variant_.name()));
        variant_.precision = RunnerVariant::Precision::f32;
    }
    const int device_kib = static_cast<int>(gpu_.max_shared_bytes() / 1024);
    variant_.shared_kib = std::min(variant_.shared_kib ? variant_.shared_kib : device_kib, device_kib);

    PlanOptions options;  // dynamic: FiLM from uniforms, weights as stored
    options.default_params = model.default_cond;
    options.default_params.push_back(1.0f);
    options.f16_tiles = variant_.precision != RunnerVariant::Precision::f32;
    options.f16_math = variant_.precision == RunnerVariant::Precision::f16;
    options.shared_bytes_budget = variant_.shared_kib * 1024;
    options.planar_tiles = !variant_.hook;
    // Layers whose tensor-core form does not fit the shared memory keep the FMA form, f16 where it can.
    options.coop_matrix = variant_.tensor;
    options.coop_fuse_low_res = variant_.fuse_low_res;
    options.coop_sums = variant_.sums;
    pl_gpu g = gpu_.gpu();
    const auto upload_caps = PL_FMT_CAP_SAMPLEABLE;
    input_format_ = find_format(g, 32, upload_caps);
    const auto download_caps = static_cast<enum pl_fmt_caps>(PL_FMT_CAP_STORABLE | PL_FMT_CAP_HOST_READABLE);
    download_format_ = find_format(g, 32, download_caps);
    const auto mid_caps = static_cast<enum pl_fmt_caps>(PL_FMT_CAP_SAMPLEABLE | PL_FMT_CAP_STORABLE);
    mid_format_ = find_format(g, 16, mid_caps);
    if (!mid_format_)
        mid_format_ = find_format(g, 32, mid_caps);
    output_format_ = mid_format_;
    if (!input_format_ || !download_format_ || !mid_format_)
        throw GpuError(fmt::format("GPU {} has no storable float rgba texture format", gpu_.device().name));
    options.linear_pooling = (mid_format_->caps & PL_FMT_CAP_LINEAR) != 0;
    plan_ = plan_passes(model_, options);
    options.prev_input = true;
    prev_plan_ = plan_passes(model_, options);
}

// One plan pass as a ComputePass. Descriptors in order: the sampled textures (`samplers`), out_image,
// then the FiLM buffer where the FiLM block did not fit in push constants.
struct NetworkRunner::CompiledPass {
    std::unique_ptr<ComputePass> pass;
    std::vector<std::string> samplers;  // bind names (HOOKED, CNNV3_E0, ...), each declared as NAME_raw
    int film_floats = 0;                // the block: film_count vec4s, then strength (output pass)
    int tile = 0;                       // its workgroup side (the prev-reading enc0 may have a smaller one)
    std::vector<GpuBuffer> film_buffers;  // empty: the block is the push constants; else used in turn (film_ring)
    GpuBuffer weights;                  // CNNV3_W of a tensor-core pass (its last descriptor)
};

// One plan pass of a Route: `bindings` hold the intermediates; run() fills the input, prev and
// output slots (-1: none) and the FiLM block (this pass's texels, then strength for the output pass).
struct NetworkRunner::Step {
    std::size_t plan_index = 0;
    CompiledPass* cp = nullptr;
    std::vector<struct pl_desc_binding> bindings;
    int input_at = -1, prev_at = -1, output_at = -1, film_at = -1;  // film_at: the FiLM uniform buffer's slot
    int groups_x = 0, groups_y = 0;
    std::size_t film_first = 0;  // first float of film_ in the block
    std::vector<float> block;    // sized once: film floats (+ strength)
};

struct NetworkRunner::Route {
    bool prev = false;
    pl_fmt out = nullptr;
    std::vector<Step> steps;
};

NetworkRunner::~NetworkRunner()
{
    gpu_.wait_idle();  // before the textures, passes and staging buffers go (GpuContext::wait_idle)
    routes_.clear();
    passes_.clear();
    for (pl_timer& t : timers_)
        pl_timer_destroy(gpu_.gpu(), &t);
}

NetworkRunner::CompiledPass& NetworkRunner::compiled(std::size_t i, bool prev, pl_fmt out)
{
    const std::vector<std::string>& prev_binds = prev_plan_.passes[i].binds;
    const bool uses_prev = prev && std::find(prev_binds.begin(), prev_binds.end(), "CNNV3_PREV") != prev_binds.end();
    const PlannedPass& pass = (uses_prev ? prev_plan_ : plan_).passes[i];
    const std::string key = fmt::format("{}{}{}", i, uses_prev ? "+prev" : "", pass.save ? "" : std::string(" ") + out->name);
    if (auto found = passes_.find(key); found != passes_.end())
        return *found->second;

    pl_gpu gpu = gpu_.gpu();
    auto cp = std::make_unique<CompiledPass>();
    cp->tile = pass.tile;
    std::vector<ComputeDesc> descs;
    std::string decls;
    for (const std::string& bind : pass.binds)
        if (bind != "CNNV3_FILM")
            cp->samplers.push_back(bind);
    for (const std::string& bind : cp->samplers) {
        decls += fmt::format("layout(binding = {}) uniform sampler2D {}_raw;\n", descs.size(), bind);
        descs.push_back({bind + "_raw", PL_DESC_SAMPLED_TEX});
    }
    const pl_fmt image_format = pass.save ? mid_format_ : out;
    if (!image_format->glsl_format)
        throw GpuError(fmt::format("NetworkRunner::run: the output texture's format {} cannot be a storage image here "
                                   "(expected output_format() or another float/unorm rgba format)", image_format->name));
    decls += fmt::format("layout(binding = {}, {}) writeonly uniform image2D out_image;\n", descs.size(),
                         image_format->glsl_format);
    descs.push_back({"out_image", PL_DESC_STORAGE_IMG, PL_DESC_ACCESS_WRITEONLY});

    // FiLM and strength: each pass gets only its own layer's gamma and beta, a few vec4s that fit
    // in push constants (256 bytes on NVIDIA, 128 on lavapipe). Larger models' blocks go to
    // device-local uniform buffers, film_ring of them used in turn: libplacebo 4.208 places a
    // host-writable buffer in host-visible memory where the device has such device-local memory
    // (lavapipe, integrated GPUs, resizable BAR; src/vulkan/gpu_buf.c:161-163), and then pl_buf_write
    // waits until every queued command that reads the buffer has finished (gpu_buf.c:341-344). One
    // buffer per pass made each run() wait for the previous frame's pass on the GPU.
    std::string members;
    if (pass.reads_film)
        members += fmt::format("vec4 cnnv3_film[{}]; ", pass.film_count);
    if (!pass.save)
        members += "float strength; ";
    cp->film_floats = (pass.reads_film ? 4 * pass.film_count : 0) + (pass.save ? 0 : 1);
    const std::size_t block_bytes = static_cast<std::size_t>(cp->film_floats) * sizeof(float);
    std::size_t push_constants = 0;
    if (block_bytes > 0 && block_bytes <= gpu->limits.max_pushc_size) {
        decls += "layout(std430, push_constant) uniform CnnV3Block { " + members + "};\n";
        push_constants = block_bytes;
    } else if (block_bytes > 0) {
        struct pl_buf_params b = {};
        b.size = (block_bytes + 15) / 16 * 16;
        b.uniform = true;
        b.host_writable = true;
        b.memory_type = PL_BUF_MEM_DEVICE;
        for (int k = 0; k < film_ring; ++k)
            cp->film_buffers.emplace_back(gpu, b);
        decls += fmt::format("layout(std140, binding = {}) uniform CnnV3Block {{ {}}};\n", descs.size(), members);
        descs.push_back({"CnnV3Block", PL_DESC_BUF_UNIFORM});
    }
    if (pass.coop_matrix) {
        struct pl_buf_params b = {};
        b.size = pass.coop_weights.size() * sizeof(std::uint32_t);
        b.storable = true;
        b.initial_data = pass.coop_weights.data();
        b.memory_type = PL_BUF_MEM_DEVICE;
        cp->weights = GpuBuffer(gpu, b);
        decls += fmt::format("layout(std430, binding = {}) readonly buffer CnnV3Weights {{ uvec4 CNNV3_W[]; }};\n", descs.size());
        descs.push_back({"CnnV3Weights", PL_DESC_BUF_STORAGE, PL_DESC_ACCESS_READONLY});
    }
    std::string glsl = fmt::format("#version {}\n", gpu->glsl.version);
    glsl += fmt::format("layout(local_size_x = {0}, local_size_y = {0}) in;\n", pass.tile);
    glsl += decls;
    // The frame size comes from the input texture itself: one value less to pass per frame.
    glsl += "#define HOOKED_size vec2(textureSize(HOOKED_raw, 0))\n#define HOOKED_mul 1.0\n";
    if (pass.reads_film)
        glsl += fmt::format("#define CNNV3_FILM(i) cnnv3_film[(i) - {}]\n", pass.film_first);
    glsl += plan_.common + pass.body + "void main() { hook(); }\n";

    cp->pass = std::make_unique<ComputePass>(
        gpu, std::move(descs), glsl, push_constants,
        fmt::format("{} ({} bytes of shared memory, {}x{} threads)", pass.description, pass.shared_bytes, pass.tile, pass.tile));
    if (const auto& stats = cp->pass->stats()) {
        registers_.resize(plan_.passes.size(), -1);
        registers_[i] = stats->registers;
    }
    return *passes_.emplace(key, std::move(cp)).first->second;
}

void NetworkRunner::enable_pass_timers(bool on)
{
    timing_ = on;
    if (!on || !timers_.empty())
        return;
    for (std::size_t i = 0; i < plan_.passes.size(); ++i)
        timers_.push_back(pl_timer_create(gpu_.gpu()));
    timer_sums_.assign(plan_.passes.size(), {0.0, 0});
}

void NetworkRunner::collect_timers()
{
    for (std::size_t i = 0; i < timers_.size(); ++i)
        while (const uint64_t ns = pl_timer_query(gpu_.gpu(), timers_[i])) {
            timer_sums_[i].first += static_cast<double>(ns) * 1e-6;
            timer_sums_[i].second += 1;
        }
}

std::vector<std::pair<std::string, double>> NetworkRunner::pass_times_ms()
{
    collect_timers();
    std::vector<std::pair<std::string, double>> out;
    for (std::size_t i = 0; i < timer_sums_.size(); ++i) {
        if (plan_.passes[i].film_mlp)
            continue;
        auto& [ms, n] = timer_sums_[i];
        out.emplace_back(plan_.passes[i].description, n ? ms / n : 0.0);
        ms = 0.0;
        n = 0;
    }
    return out;
}

std::vector<std::pair<std::string, int>> NetworkRunner::pass_registers() const
{
    std::vector<std::pair<std::string, int>> out;
    for (std::size_t i = 0; i < plan_.passes.size(); ++i)
        if (!plan_.passes[i].film_mlp)
            out.emplace_back(plan_.passes[i].description, i < registers_.size() ? registers_[i] : -1);
    return out;
}

std::pair<int, int> NetworkRunner::texture_size_for(int width, int height) const
{
    std::pair<int, int> size{width, height};
    for (const PlannedPass& pass : plan_.passes) {
        if (!pass.save || pass.film_mlp)
            continue;
        const PlannedTexture& t = *pass.save;
        size.first = std::max(size.first, level_size(width, t.level) * t.mosaic_cols);
        size.second = std::max(size.second, level_size(height, t.level) * t.mosaic_rows);
    }
    return size;
}

std::string NetworkRunner::frame_size_problem(int width, int height) const
{
    const auto [tex_w, tex_h] = texture_size_for(width, height);
    const int limit = gpu_.max_texture_size();
    if (tex_w <= limit && tex_h <= limit)
        return {};
    return fmt::format("{}x{} frames need GPU textures of {}x{}, larger than the {} pixels per side GPU {} ({}) allows",
                       width, height, tex_w, tex_h, limit, gpu_.device().index, gpu_.device().name);
}

void NetworkRunner::ensure_size(int width, int height)
{
    if (width == width_ && height == height_)
        return;
    if (!intermediates_.empty())
        gpu_.wait_idle();
    routes_.clear();  // their bindings name the old intermediates
    intermediates_.clear();
    for (const PlannedPass& pass : plan_.passes) {
        if (!pass.save || pass.film_mlp)
            continue;
        const PlannedTexture& t = *pass.save;
        struct pl_tex_params params = {};
        params.w = level_size(width, t.level) * t.mosaic_cols;
        params.h = level_size(height, t.level) * t.mosaic_rows;
        params.format = mid_format_;
        params.sampleable = true;
        params.storable = true;
        intermediates_.emplace(t.name, GpuTexture(gpu_.gpu(), params));
    }
    width_ = width;
    height_ = height;
}

NetworkRunner::Route& NetworkRunner::route(bool prev, pl_fmt out)
{
    for (const std::unique_ptr<Route>& r : routes_)
        if (r->prev == prev && r->out == out)
            return *r;
    auto r = std::make_unique<Route>();
    r->prev = prev;
    r->out = out;
    for (std::size_t i = 0; i < plan_.passes.size(); ++i) {
        const PlannedPass& pass = plan_.passes[i];
        if (pass.film_mlp)
            continue;  // the MLP runs on the CPU (run())
        Step step;
        step.plan_index = i;
        step.cp = &compiled(i, prev, out);
        for (const std::string& bind : step.cp->samplers) {
            struct pl_desc_binding b = {};
            b.address_mode = PL_TEX_ADDRESS_CLAMP;
            const bool linear = std::find(pass.linear_binds.begin(), pass.linear_binds.end(), bind) != pass.linear_binds.end();
            b.sample_mode = linear ? PL_TEX_SAMPLE_LINEAR : PL_TEX_SAMPLE_NEAREST;
            const int at = static_cast<int>(step.bindings.size());
            if (bind == "HOOKED")
                step.input_at = at;
            else if (bind == "CNNV3_PREV")
                step.prev_at = at;
            else
                b.object = intermediates_.at(bind).get();
            step.bindings.push_back(b);
        }
        struct pl_desc_binding image = {};
        if (pass.save)
            image.object = intermediates_.at(pass.save->name).get();
        else
            step.output_at = static_cast<int>(step.bindings.size());
        step.bindings.push_back(image);
        if (!step.cp->film_buffers.empty()) {
            step.film_at = static_cast<int>(step.bindings.size());  // run() puts this frame's buffer in
            step.bindings.push_back({});
        }
        if (step.cp->weights) {
            struct pl_desc_binding b = {};
            b.object = step.cp->weights.get();
            step.bindings.push_back(b);
        }
        const Level level = pass.save ? pass.save->level : Level::full;
        const int w = level_size(width_, level), h = level_size(height_, level);
        step.groups_x = (w + step.cp->tile - 1) / step.cp->tile;
        step.groups_y = (h + step.cp->tile - 1) / step.cp->tile;
        step.film_first = static_cast<std::size_t>(pass.film_first) * 4;
        step.block.resize(static_cast<std::size_t>(step.cp->film_floats));
        r->steps.push_back(std::move(step));
    }
    routes_.push_back(std::move(r));
    return *routes_.back();
}

void NetworkRunner::run(pl_tex input, pl_tex output, std::span<const float> cond, float strength, pl_tex prev)
{
    if (!input || !output || input->params.w != output->params.w || input->params.h != output->params.h)
        throw GpuError("NetworkRunner::run: input and output textures must exist and have the same size");
    if (prev && (prev->params.w != input->params.w || prev->params.h != input->params.h))
        throw GpuError(fmt::format("NetworkRunner::run: prev is {}x{}, the frame {}x{} (expected the frame's size)",
                                   prev->params.w, prev->params.h, input->params.w, input->params.h));
    if (output == input || output == prev)  // a pass would read what it writes
        throw GpuError("NetworkRunner::run: output must be a texture of its own (not input or prev)");
    if (!input->params.sampleable || (prev && !prev->params.sampleable) || !output->params.storable)
        throw GpuError("NetworkRunner::run: input and prev must be sampleable, output storable");
    if (static_cast<int>(cond.size()) != model_.shape.cond_dim)
        throw GpuError(fmt::format("NetworkRunner::run: {} conditioning values (expected {})", cond.size(),
                                   model_.shape.cond_dim));
    ensure_size(input->params.w, input->params.h);
    if (film_sources_.empty()) {
        film_sources_ = film_texel_sources(model_.shape);
        film_.assign(film_sources_.size(), 0.0f);
    }
    const std::vector<float> film = evaluate_film_mlp(model_.film_mlp, cond);
    for (std::size_t i = 0; i < film_sources_.size(); ++i)
        film_[i] = film_sources_[i] >= 0 ? film[static_cast<std::size_t>(film_sources_[i])] : 0.0f;

    pl_gpu gpu = gpu_.gpu();
    for (Step& step : route(prev != nullptr, output->params.format).steps) {
        if (step.input_at >= 0)
            step.bindings[static_cast<std::size_t>(step.input_at)].object = input;
        if (step.prev_at >= 0)
            step.bindings[static_cast<std::size_t>(step.prev_at)].object = prev;
        if (step.output_at >= 0)
            step.bindings[static_cast<std::size_t>(step.output_at)].object = output;
        if (!step.block.empty()) {
            const std::size_t film_floats = step.output_at >= 0 ? step.block.size() - 1 : step.block.size();
            std::copy_n(film_.begin() + static_cast<std::ptrdiff_t>(step.film_first), film_floats, step.block.begin());
            if (step.output_at >= 0)
                step.block.back() = strength;
        }
        const CompiledPass& cp = *step.cp;
        if (!cp.film_buffers.empty()) {
            pl_buf film = cp.film_buffers[frame_ % cp.film_buffers.size()].get();
            step.bindings[static_cast<std::size_t>(step.film_at)].object = film;
            pl_buf_write(gpu, film, 0, step.block.data(), step.block.size() * sizeof(float));
        }
        cp.pass->run(step.bindings, step.groups_x, step.groups_y,
                     !cp.film_buffers.empty() || step.block.empty() ? nullptr : step.block.data(),
                     timing_ ? timers_[step.plan_index] : nullptr);
    }
    ++frame_;
    if (timing_)
        collect_timers();  // libplacebo keeps only a few results per timer
}

void NetworkRunner::ensure_staging(Staging& staging, int width, int height, bool upload)
{
    if (staging.tex && staging.tex.get()->params.w == width && staging.tex.get()->params.h == height)
        return;
    if (staging.tex)
        gpu_.wait_idle();
    pl_gpu gpu = gpu_.gpu();
    struct pl_tex_params t = {};
    t.w = width;
    t.h = height;
    t.format = upload ? input_format_ : download_format_;
    t.sampleable = upload;
    t.storable = !upload;
    t.host_writable = upload;
    t.host_readable = !upload;
    // Persistently mapped host buffers where the device allows it: the frame is packed straight into
    // (and unpacked straight out of) the GPU-visible memory, with no extra 33 MB copy each way at 1080p.
    const std::size_t bytes = static_cast<std::size_t>(width) * height * 4 * sizeof(float);
    struct pl_buf_params b = {};
    b.size = bytes;
    b.host_writable = upload;
    b.host_readable = !upload;
    b.host_mapped = bytes <= gpu->limits.max_mapped_size;
    b.memory_type = PL_BUF_MEM_HOST;
    staging.tex = GpuTexture(gpu, t);
    staging.buf = GpuBuffer(gpu, b);
}

void NetworkRunner::upload(Staging& staging, const Planes& rgb)
{
    pl_gpu gpu = gpu_.gpu();
    ensure_staging(staging, rgb.width, rgb.height, true);
    const std::size_t bytes = static_cast<std::size_t>(rgb.width) * rgb.height * 4 * sizeof(float);
    float* rgba = nullptr;
    if (staging.buf.get()->data) {
        while (pl_buf_poll(gpu, staging.buf.get(), UINT64_MAX)) {
        }  // the previous frame's upload has finished reading it
        rgba = reinterpret_cast<float*>(staging.buf.get()->data);
    } else {
        staging_.resize(bytes / sizeof(float));
        rgba = staging_.data();
    }
    for (std::size_t i = 0; i < rgb.plane_size(); ++i) {
        float* px = &rgba[i * 4];
        px[0] = rgb.plane(0)[i];
        px[1] = rgb.plane(1)[i];
        px[2] = rgb.plane(2)[i];
        px[3] = 1.0f;
    }
    if (!staging.buf.get()->data)
        pl_buf_write(gpu, staging.buf.get(), 0, rgba, bytes);
    struct pl_tex_transfer_params up = {};
    up.tex = staging.tex.get();
    up.buf = staging.buf.get();
    if (!pl_tex_upload(gpu, &up))
        throw GpuError("texture upload failed");
}

pl_tex NetworkRunner::upload_rgb(const Planes& rgb)
{
    if (rgb.channels != 3 || rgb.width < 1 || rgb.height < 1)
        throw GpuError("upload_rgb: expected 3 RGB planes of at least 1x1");
    upload(upload_, rgb);
    return upload_.tex.get();
}

pl_tex NetworkRunner::download_target(int width, int height)
{
    ensure_staging(download_, width, height, false);
    return download_.tex.get();
}

Planes NetworkRunner::download_rgb()
{
    if (!download_.tex)
        throw GpuError("download_rgb before download_target");
    pl_gpu gpu = gpu_.gpu();
    const int width = download_.tex.get()->params.w, height = download_.tex.get()->params.h;
    struct pl_tex_transfer_params down = {};
    down.tex = download_.tex.get();
    down.buf = download_.buf.get();
    if (!pl_tex_download(gpu, &down))
        throw GpuError("texture download failed");
    const float* result = nullptr;
    if (download_.buf.get()->data) {
        while (pl_buf_poll(gpu, download_.buf.get(), UINT64_MAX)) {
        }  // the download has landed
        result = reinterpret_cast<const float*>(download_.buf.get()->data);
    } else {
        staging_.resize(static_cast<std::size_t>(width) * height * 4);
        if (!pl_buf_read(gpu, download_.buf.get(), 0, staging_.data(), staging_.size() * sizeof(float)))
            throw GpuError("texture download failed");
        result = staging_.data();
    }
    Planes out(3, height, width);
    for (std::size_t i = 0; i < out.plane_size(); ++i)
        for (int c = 0; c < 3; ++c)
            out.plane(c)[i] = result[i * 4 + c];
    return out;
}

Planes NetworkRunner::run_planes(const Planes& rgb, std::span<const float> cond, float strength, const Planes* prev)
{
    if (rgb.channels != 3 || rgb.width < 1 || rgb.height < 1)
        throw GpuError("run_planes: expected 3 RGB planes of at least 1x1");
    if (prev && (prev->channels != 3 || prev->width != rgb.width || prev->height != rgb.height))
        throw GpuError("run_planes: prev must hold 3 planes of the frame's size");
    // Staging textures and buffers live as long as the frame size: pl_tex_upload/download from a
    // host pointer would create and destroy a buffer per frame, and destroying GPU objects per
    // frame is what lavapipe's queue thread races with (GpuContext::wait_idle).
    pl_tex input = upload_rgb(rgb);
    if (prev)
        upload(prev_upload_, *prev);
    run(input, download_target(rgb.width, rgb.height), cond, strength, prev ? prev_upload_.tex.get() : nullptr);
    return download_rgb();
}

}  // namespace cnnv3
