#include "pass_cache.h"

#include "atomic_file.h"
#include "environment_switch.h"
#include "small_file.h"
#include "xdg_base_dir.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace cnnv3 {

namespace {

std::atomic<uint64_t> hits{0}, misses{0}, rejected{0}, written{0};

constexpr char magic[8] = {'C', 'N', 'V', '3', 'P', 'A', 'S', '1'};
constexpr std::size_t header_size = sizeof magic + 3 * sizeof(uint64_t);  // magic, key, length, checksum
constexpr std::uintmax_t max_file = 64u << 20;

// FNV-1a, 64 bits: a key and a checksum against accidental corruption (not an adversary's bytes:
// the cache directory is the user's own).
uint64_t fnv1a(std::string_view bytes, uint64_t h = 14695981039346656037ull)
{
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}

void put(std::string& s, uint64_t v)
{
    char b[8];
    std::memcpy(b, &v, 8);
    s.append(b, 8);
}

uint64_t get(const std::string& s, std::size_t at)
{
    uint64_t v;
    std::memcpy(&v, s.data() + at, 8);
    return v;
}

std::filesystem::path file_of(const std::filesystem::path& dir, uint64_t key)
{
    return dir / fmt::format("{:016x}.bin", key);
}

}  // namespace

std::optional<std::filesystem::path> PassCache::directory()
{
    if (environment_is("CNNV3_PASS_CACHE", "0"))
        return std::nullopt;
    if (const auto cache_home = xdg_base_dir("XDG_CACHE_HOME", ".cache"); !cache_home.empty())
        return cache_home / "cnnv3" / "passes";
    return std::nullopt;
}

uint64_t PassCache::key(pl_gpu gpu, std::string_view identity)
{
    uint64_t h = fnv1a(identity);
    h = fnv1a(std::string_view(reinterpret_cast<const char*>(gpu->uuid), sizeof gpu->uuid), h);
    return fnv1a(fmt::format("libplacebo {}", PL_API_VER), h);
}

std::optional<std::string> PassCache::load(uint64_t key)
{
    const auto dir = directory();
    if (!dir)
        return std::nullopt;
    const std::filesystem::path path = file_of(*dir, key);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        misses.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    std::string bytes;
    try {
        bytes = read_small_file(path, max_file, "a cnnv3 pass cache file");
    } catch (const SmallFileError&) {
        rejected.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    if (bytes.size() < header_size || std::memcmp(bytes.data(), magic, sizeof magic) != 0 ||
        get(bytes, 8) != key || get(bytes, 16) != bytes.size() - header_size ||
        get(bytes, 24) != fnv1a(std::string_view(bytes).substr(header_size))) {
        rejected.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    hits.fetch_add(1, std::memory_order_relaxed);
    return bytes.substr(header_size);
}

void PassCache::store(uint64_t key, std::string_view program)
{
    const auto dir = directory();
    if (!dir || program.empty())
        return;
    std::string bytes(magic, sizeof magic);
    put(bytes, key);
    put(bytes, program.size());
    put(bytes, fnv1a(program));
    bytes.append(program);
    try {
        std::error_code ec;
        std::filesystem::create_directories(*dir, ec);
        write_file_atomically(file_of(*dir, key), bytes, true);
        written.fetch_add(1, std::memory_order_relaxed);
    } catch (const std::exception&) {
        // a cache that cannot be written costs only the next run's compilation
    }
}

PassCacheStats PassCache::stats()
{
    return {hits.load(), misses.load(), rejected.load(), written.load()};
}

}  // namespace cnnv3
