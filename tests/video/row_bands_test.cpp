// for_each_row_band: every row exactly once, errors come back, callers on several threads at once.
#include "row_bands.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cnnv3 {
namespace {

TEST(RowBands, covers_every_row_exactly_once_for_odd_counts)
{
    for (int rows : {1, 2, 15, 16, 17, 1079, 1080, 4321}) {
        std::vector<std::atomic<int>> seen(static_cast<std::size_t>(rows));
        for_each_row_band(rows, 16, [&](int begin, int end) {
            ASSERT_LE(0, begin);
            ASSERT_LE(begin, end);
            ASSERT_LE(end, rows);
            for (int y = begin; y < end; ++y)
                seen[static_cast<std::size_t>(y)].fetch_add(1);
        });
        for (int y = 0; y < rows; ++y)
            ASSERT_EQ(seen[static_cast<std::size_t>(y)].load(), 1) << "row " << y << " of " << rows;
    }
}

TEST(RowBands, zero_rows_call_nothing)
{
    bool called = false;
    for_each_row_band(0, 16, [&](int, int) { called = true; });
    EXPECT_FALSE(called);
}

TEST(RowBands, an_exception_in_a_band_reaches_the_caller_after_all_bands_ran)
{
    std::atomic<int> rows_done{0};
    EXPECT_THROW(for_each_row_band(4000, 1,
                                   [&](int begin, int end) {
                                       if (begin == 0)
                                           throw std::runtime_error("band 0 failed");
                                       rows_done.fetch_add(end - begin);
                                   }),
                 std::runtime_error);
    // Every other band still ran (nothing is left running in the background).
    const int first_band = row_band_workers() > 0 ? 4000 / (row_band_workers() + 1) : 4000;
    EXPECT_EQ(rows_done.load(), 4000 - first_band);
}

TEST(RowBands, concurrent_callers_each_get_their_own_rows)
{
    std::vector<std::jthread> callers;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 6; ++t)
        callers.emplace_back([&, t] {
            for (int round = 0; round < 50; ++round) {
                const int rows = 100 + 37 * t + round;
                std::vector<std::atomic<int>> seen(static_cast<std::size_t>(rows));
                for_each_row_band(rows, 4, [&](int begin, int end) {
                    for (int y = begin; y < end; ++y)
                        seen[static_cast<std::size_t>(y)].fetch_add(1);
                });
                for (auto& s : seen)
                    if (s.load() != 1)
                        wrong.fetch_add(1);
            }
        });
    callers.clear();  // joins
    EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace cnnv3
