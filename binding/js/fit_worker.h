// The worker of a native fit (ASCMH, the kernel methods, DDASH): the training run on a libuv
// thread, its progress reports handed to an onProgress callback on the JS thread, one Promise.
// A throwing callback stops the run and the fit rejects with what it threw; what the run throws
// reaches JS as a coded error (js/errors.h). A subclass gives the run, the callback's arguments
// for a report and the resolved value.
#pragma once
#include <malloc.h>
#include <napi.h>

#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "js/environment.h"
#include "js/errors.h"

namespace ascmh {

template <class Report>
class FitWorker : public Napi::AsyncProgressQueueWorker<Report> {
 public:
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  using Send = std::function<void(const Report&)>;

  FitWorker(Napi::Env env, const char* name, Napi::Function on_progress, std::shared_ptr<CancelToken> cancel)
      : Napi::AsyncProgressQueueWorker<Report>(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        cancel_(std::move(cancel)) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
  }

  // The training run, on the libuv thread; it must not touch JS memory.
  virtual void Run(const Send& send, const CancelToken* cancel) = 0;
  // After the run, also when it threw (still on the libuv thread).
  virtual void AfterRun() {}
  // onProgress's arguments for one report.
  virtual std::vector<napi_value> ProgressArguments(Napi::Env env, const Report& report) = 0;
  // What the promise resolves to.
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  using Progress = typename Napi::AsyncProgressQueueWorker<Report>::ExecutionProgress;

  void Execute(const Progress& progress) final {
    try {
      Run([&](const Report& r) { progress.Send(&r, 1); }, cancel_.get());
    } catch (...) {
      error_ = std::current_exception();
    }
    AfterRun();
    // Freed training buffers below glibc's mmap threshold stay in this thread's malloc arena: hand
    // them back here, off the JS thread (it takes tens of milliseconds), so a finished or cancelled
    // fit leaves the process's memory as it found it.
    malloc_trim(0);
  }

  void OnProgress(const Report* reports, size_t count) final {
    if (on_progress_.IsEmpty() || !progress_error_.IsEmpty()) return;
    Napi::Env env = this->Env();
    for (size_t i = 0; i < count; ++i) {
      try {
        on_progress_.Call(ProgressArguments(env, reports[i]));
      } catch (const Napi::Error& e) {
        progress_error_ = Napi::Reference<Napi::Value>::New(e.Value(), 1);
        cancel_->cancel();
        return;
      }
    }
  }

  void OnOK() final {
    Napi::Env env = this->Env();
    unregister_job(env, cancel_);
    if (!progress_error_.IsEmpty()) {
      deferred_.Reject(progress_error_.Value());
      return;
    }
    if (error_) {
      deferred_.Reject(js_error(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(js_error(env, std::current_exception()).Value());
    }
  }

  void OnError(const Napi::Error& e) final {
    unregister_job(this->Env(), cancel_);
    deferred_.Reject(e.Value());
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<CancelToken> cancel_;
  Napi::FunctionReference on_progress_;
  Napi::Reference<Napi::Value> progress_error_;
  std::exception_ptr error_;
};

}  // namespace ascmh
