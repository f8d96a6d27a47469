// libFuzzer target for the small text inputs: beat-times files (--beats), conditioning CSVs
// (--cond-track), style curves (--style0/--style1) and --cond values. The first byte picks the
// parser (its value mod 4), the rest is the text. Any input must parse or give the parser's error,
// whose message is one short line.
#include "beat_times_file.h"
#include "cond_option.h"
#include "conditioning_track.h"
#include "style_curve.h"

#include <cstdint>
#include <cstring>
#include <string_view>

namespace {

void check_message(const char* what)
{
    // One line naming the file, and short: user text is quoted as an excerpt.
    if (std::strchr(what, '\n') != nullptr || std::strlen(what) > 400)
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        switch (data[0] % 4) {
        case 0: cnnv3::parse_beat_times(text, "beats.txt"); break;
        case 1: cnnv3::parse_conditioning_csv(text, "track.csv"); break;
        case 2: cnnv3::StyleCurve::parse(text); break;
        default: cnnv3::parse_cond_option(text); break;
        }
    } catch (const cnnv3::BeatFileError& e) {
        check_message(e.what());
    } catch (const cnnv3::ConditioningFileError& e) {
        check_message(e.what());
    } catch (const cnnv3::StyleCurveError& e) {
        check_message(e.what());
    } catch (const cnnv3::CondOptionError& e) {
        check_message(e.what());
    }
    return 0;
}
