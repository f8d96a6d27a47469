// A bounded first-in first-out queue between two stages of the transcode pipeline (decode ->
// process -> encode/mux), each on its own thread. The bound keeps a fast producer from holding
// more than a few frames: push() waits while the queue is full.
//
//   - close(): the producer is done (optionally with the exception that ended it); the consumer
//     still gets every item pushed before, then pop() returns nullopt, or rethrows that exception.
//     An error thus arrives after the frames that came before it, in stream order.
//   - abort(): the run is over (another stage failed): push() and pop() return at once (false /
//     nullopt) in every thread, items still queued are dropped (their destructors free them).
//
// The time push() and pop() spent blocked is summed (push_blocked(), pop_blocked()): with one
// producer and one consumer, what each stage waited for its neighbour (video_transcode's stage times).
//
// Thread-safety: any number of threads may call any member; the queue's mutex orders everything
// pushed before a pop with everything after it (objects handed over need no other lock).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>

namespace cnnv3 {

template <typename T>
class StageQueue {
public:
    explicit StageQueue(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}
    StageQueue(const StageQueue&) = delete;
    StageQueue& operator=(const StageQueue&) = delete;

    // Waits for room; false (item dropped) once the queue is aborted or closed.
    bool push(T item)
    {
        std::unique_lock lock(mutex_);
        wait(lock, room_, [&] { return aborted_ || closed_ || items_.size() < capacity_; }, push_blocked_);
        if (aborted_ || closed_)
            return false;
        items_.push_back(std::move(item));
        ready_.notify_one();
        return true;
    }

    // Waits for an item; nullopt at the end (closed and drained) or once aborted. Rethrows the
    // exception close() was given, once the items before it were taken.
    std::optional<T> pop()
    {
        std::unique_lock lock(mutex_);
        wait(lock, ready_, [&] { return aborted_ || closed_ || !items_.empty(); }, pop_blocked_);
        if (aborted_)
            return std::nullopt;
        if (items_.empty()) {
            if (error_)
                std::rethrow_exception(std::exchange(error_, nullptr));
            return std::nullopt;
        }
        T item = std::move(items_.front());
        items_.pop_front();
        room_.notify_one();
        return item;
    }

    void close(std::exception_ptr error = nullptr)
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        error_ = std::move(error);
        ready_.notify_all();
        room_.notify_all();
    }

    void abort()
    {
        std::deque<T> dropped;  // freed outside the lock
        {
            std::lock_guard lock(mutex_);
            aborted_ = true;
            dropped.swap(items_);
            ready_.notify_all();
            room_.notify_all();
        }
    }

    // Seconds push() / pop() have spent waiting so far.
    double push_blocked()
    {
        std::lock_guard lock(mutex_);
        return std::chrono::duration<double>(push_blocked_).count();
    }
    double pop_blocked()
    {
        std::lock_guard lock(mutex_);
        return std::chrono::duration<double>(pop_blocked_).count();
    }

private:
    using Clock = std::chrono::steady_clock;
    template <typename Ready>
    static void wait(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Ready ready, Clock::duration& blocked)
    {
        if (ready())
            return;
        const Clock::time_point t0 = Clock::now();
        cv.wait(lock, ready);
        blocked += Clock::now() - t0;
    }

    std::mutex mutex_;
    Clock::duration push_blocked_{}, pop_blocked_{};
    std::condition_variable ready_, room_;
    std::deque<T> items_;
    std::size_t capacity_;
    bool closed_ = false;
    bool aborted_ = false;
    std::exception_ptr error_;
};

}  // namespace cnnv3
