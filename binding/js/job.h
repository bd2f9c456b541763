// A Promise settled by work on a libuv thread. The work gets a cancel token registered with the
// environment (js/environment.h) and must check it between blocks; what it throws reaches JS as a
// coded error (js/errors.h). The work must not touch JS memory: its inputs are copies or come
// through js/row_stream.h.
#pragma once
#include <napi.h>

#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "js/environment.h"
#include "js/errors.h"

namespace ascmh {

// A job's cancel token from the moment its inputs are prepared: unregistered again if the job
// never starts (its preparation threw).
class JobTicket {
 public:
  explicit JobTicket(Napi::Env env) : env_(env), token_(register_job(env)) {}
  ~JobTicket() {
    if (token_) unregister_job(env_, token_);
  }
  JobTicket(const JobTicket&) = delete;
  JobTicket& operator=(const JobTicket&) = delete;
  const std::shared_ptr<CancelToken>& token() const { return token_; }
  std::shared_ptr<CancelToken> release() { return std::move(token_); }

 private:
  Napi::Env env_;
  std::shared_ptr<CancelToken> token_;
};

// The answer of a cancellable long call to JS: { promise, cancel }. queue(tag) creates and queues
// the worker for the precision of tag (float{} or double{}), handing it ticket.release(), and
// returns its promise.
template <class Queue>
Napi::Object start_cancellable(Napi::Env env, bool single, JobTicket& ticket, Queue queue) {
  std::shared_ptr<CancelToken> cancel = ticket.token();
  Napi::Promise promise = single ? queue(float{}) : queue(double{});
  Napi::Object out = Napi::Object::New(env);
  out.Set("promise", promise);
  out.Set("cancel", Napi::Function::New(env, [cancel](const Napi::CallbackInfo&) { cancel->cancel(); }, "cancel"));
  return out;
}

template <class Result>
class Job : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result(const CancelToken&)>;
  using Convert = std::function<Napi::Value(Napi::Env, Result&)>;

  static Napi::Promise start(Napi::Env env, const char* name, Work work, Convert convert, JobTicket& ticket) {
    auto* job = new Job(env, name, std::move(work), std::move(convert), ticket.release());
    Napi::Promise promise = job->deferred_.Promise();
    job->Queue();
    return promise;
  }

 protected:
  Job(Napi::Env env, const char* name, Work work, Convert convert, std::shared_ptr<CancelToken> token)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        convert_(std::move(convert)),
        token_(std::move(token)) {}

  void Execute() override {
    try {
      result_ = work_(*token_);
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    unregister_job(env, token_);
    if (error_) {
      deferred_.Reject(js_error(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(convert_(env, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(js_error(env, std::current_exception()).Value());
    }
  }

  void OnError(const Napi::Error& e) override {
    unregister_job(Env(), token_);
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Convert convert_;
  std::shared_ptr<CancelToken> token_;
  Result result_{};
  std::exception_ptr error_;
};

}  // namespace ascmh
