#include "row_bands.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cnnv3 {
namespace {

// One call's bands; whoever takes a band index runs it.
struct BandJob {
    const std::function<void(int, int)>* fn = nullptr;
    int rows = 0, bands = 0;
    std::atomic<int> next{0};
    std::atomic<int> finished{0};
    std::mutex mutex;
    std::condition_variable all_done;
    std::exception_ptr error;  // the first one; guarded by mutex

    // Runs one band; false when none was left to take.
    bool run_one()
    {
        const int band = next.fetch_add(1);
        if (band >= bands)
            return false;
        const int begin = static_cast<int>(static_cast<long long>(rows) * band / bands);
        const int end = static_cast<int>(static_cast<long long>(rows) * (band + 1) / bands);
        try {
            (*fn)(begin, end);
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error)
                error = std::current_exception();
        }
        if (finished.fetch_add(1) + 1 == bands) {
            std::lock_guard lock(mutex);
            all_done.notify_all();
        }
        return true;
    }
};

class RowWorkers {
public:
    explicit RowWorkers(int count)
    {
        for (int i = 0; i < count; ++i)
            threads_.emplace_back([this](std::stop_token stop) { work(stop); });
    }

    ~RowWorkers()
    {
        for (auto& t : threads_)
            t.request_stop();
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
    }

    RowWorkers(const RowWorkers&) = delete;
    RowWorkers& operator=(const RowWorkers&) = delete;

    void run(const std::shared_ptr<BandJob>& job)
    {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(job);
        }
        wake_.notify_all();
        while (job->run_one()) {
        }
        std::unique_lock lock(job->mutex);
        job->all_done.wait(lock, [&] { return job->finished.load() == job->bands; });
    }

private:
    void work(const std::stop_token& stop)
    {
        while (true) {
            std::shared_ptr<BandJob> job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
                if (stopping_ || stop.stop_requested())
                    return;
                job = jobs_.front();
                if (job->next.load() >= job->bands) {  // every band taken: the job leaves the queue
                    jobs_.pop_front();
                    continue;
                }
            }
            while (job->run_one()) {
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::shared_ptr<BandJob>> jobs_;
    bool stopping_ = false;
    std::vector<std::jthread> threads_;  // last: joined before the queue goes
};

int configured_workers()
{
    if (const char* env = std::getenv("CNNV3_THREADS"); env && *env) {
        int n = 0;
        const auto [end, ec] = std::from_chars(env, env + std::strlen(env), n);
        if (ec == std::errc() && *end == '\0' && n >= 1)
            return std::min(n, 64) - 1;
    }
    const int hw = static_cast<int>(std::thread::hardware_concurrency());
    return std::clamp(hw - 1, 0, 15);
}

}  // namespace

int row_band_workers()
{
    static const int workers = configured_workers();
    return workers;
}

void for_each_row_band(int rows, int min_rows, const std::function<void(int begin, int end)>& fn)
{
    if (rows <= 0)
        return;
    const int workers = row_band_workers();
    const int bands = std::min(workers + 1, std::max(1, rows / std::max(1, min_rows)));
    if (bands <= 1) {
        fn(0, rows);
        return;
    }
    static RowWorkers pool(workers);
    auto job = std::make_shared<BandJob>();
    job->fn = &fn;
    job->rows = rows;
    job->bands = bands;
    pool.run(job);
    if (job->error)
        std::rethrow_exception(job->error);
}

}  // namespace cnnv3
