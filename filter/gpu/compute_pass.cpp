#include "compute_pass.h"

#include "pass_cache.h"

#include <fmt/format.h>

namespace cnnv3 {

ComputePass::ComputePass(pl_gpu gpu, std::vector<ComputeDesc> descs, const std::string& glsl,
                         std::size_t push_constants, const std::string& what)
    : gpu_(gpu), descs_(std::move(descs))
{
    std::vector<struct pl_desc> d(descs_.size());
    for (std::size_t i = 0; i < descs_.size(); ++i) {
        d[i].name = descs_[i].name.c_str();
        d[i].type = descs_[i].type;
        d[i].access = descs_[i].access;
        d[i].binding = static_cast<int>(i);
    }
    struct pl_pass_params params = {};
    params.type = PL_PASS_COMPUTE;
    params.descriptors = d.data();
    params.num_descriptors = static_cast<int>(d.size());
    params.push_constants_size = push_constants;
    params.glsl_shader = glsl.c_str();
#if PL_API_VER < 322  // libplacebo 6.322 made cached_program non-functional (pl_cache replaces it)
    // The program compiled by an earlier run (pass_cache.h), else compiled now and kept for the next.
    std::string identity = fmt::format("{}\n{}", push_constants, glsl);
    for (const ComputeDesc& desc : descs_)
        identity += fmt::format("\n{} {} {}", desc.name, static_cast<int>(desc.type), static_cast<int>(desc.access));
    const uint64_t key = PassCache::key(gpu, identity);
    const std::optional<std::string> cached = PassCache::load(key);
    if (cached) {
        params.cached_program = reinterpret_cast<const uint8_t*>(cached->data());
        params.cached_program_len = cached->size();
    }
#endif
    take_last_pipeline_stats();  // only this pass's pipeline counts
    pass_ = pl_pass_create(gpu, &params);
    stats_ = take_last_pipeline_stats();
    if (!pass_)
        throw GpuError(fmt::format("{}: the GPU cannot build this compute pass (see libplacebo's messages)", what));
#if PL_API_VER < 322
    const std::string_view program(reinterpret_cast<const char*>(pass_->params.cached_program),
                                   pass_->params.cached_program_len);
    if (!program.empty() && (!cached || *cached != program))  // new, or libplacebo rebuilt it
        PassCache::store(key, program);
#endif
}

ComputePass::~ComputePass()
{
    pl_pass_destroy(gpu_, &pass_);
}

void ComputePass::run(std::span<const struct pl_desc_binding> bindings, int groups_x, int groups_y,
                      const void* push_constants, pl_timer timer) const
{
    struct pl_pass_run_params run = {};
    run.pass = pass_;
    run.desc_bindings = const_cast<struct pl_desc_binding*>(bindings.data());  // libplacebo 4.208 does not write them
    run.push_constants = const_cast<void*>(push_constants);
    run.compute_groups[0] = groups_x;
    run.compute_groups[1] = groups_y;
    run.compute_groups[2] = 1;
    run.timer = timer;
    pl_pass_run(gpu_, &run);
}

}  // namespace cnnv3
