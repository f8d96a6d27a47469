// libFuzzer target for the small text inputs: beat-times files (--beats), conditioning CSVs
// (--cond-track), style curves (--style0/--style1), --cond values and the conditioning options
// `cnnv3 analyze` and `stylize` share (filter/cli/conditioning_options.h; the arguments are the
// text split at NUL bytes), weights/presets.tsv (filter/cli/preset_list.h) and GPU variants
// ($CNNV3_GPU_VARIANT, RunnerVariant::parse). The first byte picks the parser (its value mod 7), the
// rest is the text.
// Any input must parse or give the parser's error, whose message is one short line; a GPU variant
// parsed gives a name that parses to the same variant.
#include "beat_times_file.h"
#include "cond_option.h"
#include "conditioning_options.h"
#include "conditioning_track.h"
#include "gpu_context.h"
#include "network_runner.h"
#include "preset_list.h"
#include "style_curve.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check_message(const char* what)
{
    // One line naming the file, and short: user text is quoted as an excerpt.
    if (std::strchr(what, '\n') != nullptr || std::strlen(what) > 400)
        __builtin_trap();
}

// Walks the arguments as a command does: its conditioning options are taken, anything else is
// skipped, then the combination is checked.
void parse_conditioning_options(std::string_view text)
{
    std::vector<std::string> args;
    for (std::size_t at = 0; at <= text.size();) {
        const std::size_t nul = std::min(text.find('\0', at), text.size());
        args.emplace_back(text.substr(at, nul - at));
        at = nul + 1;
    }
    cnnv3::cli::ConditioningOptions options;
    cnnv3::cli::ArgCursor cursor(args);
    while (cursor.next())
        options.parse(cursor);
    options.validate();
}

// A variant's name parses to the same variant (the names bench/ and the tests pass back in).
void parse_gpu_variant(std::string_view text)
{
    const cnnv3::RunnerVariant v = cnnv3::RunnerVariant::parse(text);
    if (!(cnnv3::RunnerVariant::parse(v.name()) == v))
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        switch (data[0] % 7) {
        case 0: cnnv3::parse_beat_times(text, "beats.txt"); break;
        case 1: cnnv3::parse_conditioning_csv(text, "track.csv"); break;
        case 2: cnnv3::StyleCurve::parse(text); break;
        case 3: cnnv3::parse_cond_option(text); break;
        case 4: parse_conditioning_options(text); break;
        case 5: cnnv3::cli::parse_preset_list(text); break;
        default: parse_gpu_variant(text); break;
        }
    } catch (const cnnv3::BeatFileError& e) {
        check_message(e.what());
    } catch (const cnnv3::ConditioningFileError& e) {
        check_message(e.what());
    } catch (const cnnv3::StyleCurveError& e) {
        check_message(e.what());
    } catch (const cnnv3::CondOptionError& e) {
        check_message(e.what());
    } catch (const cnnv3::cli::UsageError& e) {
        check_message(e.what());
    } catch (const cnnv3::GpuError& e) {
        check_message(e.what());
    }
    return 0;
}
