// ReloadLoop: a thread that asks the model repository to pick up changed model files every
// `poll_seconds` (--poll-seconds), until stopped.
//
// Thread safety: Start and Stop from one thread (the server's lifecycle); Rescan runs on the
// loop's thread and is itself thread-safe.
#ifndef INFERD_APP_RELOAD_LOOP_H_
#define INFERD_APP_RELOAD_LOOP_H_

#include <condition_variable>
#include <mutex>
#include <thread>

#include "serving/model_repository.h"

namespace inferd {

class ReloadLoop {
 public:
  // `repository` must outlive the loop. poll_seconds <= 0: Start does nothing.
  ReloadLoop(ModelRepository* repository, double poll_seconds) : repository_(repository), poll_seconds_(poll_seconds) {}
  ~ReloadLoop() { Stop(); }
  ReloadLoop(const ReloadLoop&) = delete;
  ReloadLoop& operator=(const ReloadLoop&) = delete;

  void Start();
  // Returns once the loop's thread has finished (a Rescan under way completes first).
  void Stop();

 private:
  ModelRepository* const repository_;
  const double poll_seconds_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace inferd

#endif  // INFERD_APP_RELOAD_LOOP_H_
