// The on-disk cache of compiled passes (pass_cache.h): a new pass is compiled and written, the
// same pass in a later context (a later run) is read back and not compiled again, and a corrupt,
// truncated or foreign file is ignored (compiled as without a cache, rewritten) - never a failure.
#include "compute_pass.h"
#include "pass_cache.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <unistd.h>

namespace cnnv3 {
namespace {

// A pass no earlier run has seen (the nonce is in its text, so its key is new).
std::string nonce_glsl(pl_gpu gpu, const std::string& nonce)
{
    return fmt::format(R"(#version {}
layout(local_size_x = 8, local_size_y = 8) in;
layout(binding = 0, rgba16f) writeonly uniform image2D dst;
void main() {{
    imageStore(dst, ivec2(gl_GlobalInvocationID.xy), vec4({}.0, 0.0, 0.0, 1.0));
}}
)",
                       gpu->glsl.version, nonce);
}

class PassCacheTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!PassCache::active())
            GTEST_SKIP() << "libplacebo " << PL_API_VER << ": cached_program is non-functional (pl_cache)";
        dir_ = std::filesystem::temp_directory_path() / fmt::format("cnnv3-pass-cache-{}", getpid());
        std::filesystem::remove_all(dir_);
        if (const char* old = std::getenv("XDG_CACHE_HOME"))
            old_ = old;
        setenv("XDG_CACHE_HOME", dir_.c_str(), 1);
        unsetenv("CNNV3_PASS_CACHE");
    }
    void TearDown() override
    {
        if (old_)
            setenv("XDG_CACHE_HOME", old_->c_str(), 1);
        else
            unsetenv("XDG_CACHE_HOME");
        std::filesystem::remove_all(dir_);
    }

    // Builds the pass of `nonce` in a fresh context (as a new run would); returns the compilations.
    int build(const std::string& nonce)
    {
        GpuContext gpu({});
        const int before = gpu.shader_compilations();
        ComputePass pass(gpu.gpu(), {{"dst", PL_DESC_STORAGE_IMG, PL_DESC_ACCESS_WRITEONLY}}, nonce_glsl(gpu.gpu(), nonce), 0,
                         "test pass");
        return gpu.shader_compilations() - before;
    }

    std::filesystem::path only_file() const
    {
        std::filesystem::path found;
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir_ / "cnnv3" / "passes")) {
            found = e.path();
            ++n;
        }
        EXPECT_EQ(n, 1);
        return found;
    }

    std::filesystem::path dir_;
    std::optional<std::string> old_;
};

TEST_F(PassCacheTest, written_then_reused)
{
    const std::string nonce = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
    const PassCacheStats s0 = PassCache::stats();
    EXPECT_EQ(build(nonce), 1);  // compiled
    const PassCacheStats s1 = PassCache::stats();
    EXPECT_EQ(s1.misses - s0.misses, 1u);
    EXPECT_EQ(s1.written - s0.written, 1u);
    const std::filesystem::path file = only_file();
    EXPECT_GT(std::filesystem::file_size(file), 32u);
    EXPECT_EQ(build(nonce), 0);  // a later run: read back, nothing compiled
    const PassCacheStats s2 = PassCache::stats();
    EXPECT_EQ(s2.hits - s1.hits, 1u);
    EXPECT_EQ(s2.written - s1.written, 0u);
}

TEST_F(PassCacheTest, corrupt_truncated_or_foreign_files_are_ignored)
{
    const std::string nonce = fmt::format("7{}", std::chrono::steady_clock::now().time_since_epoch().count() % 100000);
    build(nonce);
    const std::filesystem::path file = only_file();
    const auto size = std::filesystem::file_size(file);
    const auto damage = [&](auto how) {
        std::string bytes(size, '\0');
        std::ifstream(file, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(size));
        how(bytes);
        std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    };
    const auto check = [&](const char* what) {
        const PassCacheStats before = PassCache::stats();
        EXPECT_EQ(build(nonce), 1) << what;  // compiled as without a cache
        const PassCacheStats after = PassCache::stats();
        EXPECT_EQ(after.rejected - before.rejected, 1u) << what;
        EXPECT_EQ(after.written - before.written, 1u) << what;  // and rewritten
        EXPECT_GT(std::filesystem::file_size(file), 32u) << what;  // (the driver's part may differ in size between builds)
        EXPECT_EQ(build(nonce), 0) << what;  // the rewritten file serves again
    };
    damage([](std::string& b) { b[b.size() / 2] = static_cast<char>(b[b.size() / 2] ^ 0x5a); });
    check("a flipped byte in the program");
    damage([](std::string& b) { b.resize(b.size() - 7); });
    check("truncated");
    damage([](std::string& b) { b.resize(5); });
    check("shorter than the header");
    damage([](std::string& b) { b[9] = static_cast<char>(b[9] ^ 1); });
    check("another pass's key");
    std::filesystem::remove(file);
    std::filesystem::create_directory(file);  // not a regular file
    const PassCacheStats before = PassCache::stats();
    EXPECT_EQ(build(nonce), 1) << "a directory in its place";
    EXPECT_EQ(PassCache::stats().rejected - before.rejected, 1u);
}

TEST_F(PassCacheTest, off_with_cnnv3_pass_cache_0)
{
    setenv("CNNV3_PASS_CACHE", "0", 1);
    EXPECT_FALSE(PassCache::directory());
    build("4242");
    EXPECT_FALSE(std::filesystem::exists(dir_ / "cnnv3"));
    unsetenv("CNNV3_PASS_CACHE");
}

}  // namespace
}  // namespace cnnv3
