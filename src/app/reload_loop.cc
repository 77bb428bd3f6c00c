#include "app/reload_loop.h"

#include <chrono>

namespace inferd {

void ReloadLoop::Start() {
  if (poll_seconds_ <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] {
    auto interval =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(poll_seconds_));
    std::unique_lock<std::mutex> l(mu_);
    while (!cv_.wait_for(l, interval, [this] { return stop_; })) {
      l.unlock();
      repository_->Rescan();
      l.lock();
    }
  });
}

void ReloadLoop::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace inferd
