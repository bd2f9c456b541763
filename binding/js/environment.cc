#include "js/environment.h"

#include <uv.h>

#include <unordered_set>

namespace ascmh {
namespace {

struct Jobs;

// The check handle lives apart from Jobs: it is closed asynchronously at teardown and may outlive
// the instance data.
struct Watchdog {
  uv_check_t handle;
  Jobs* jobs = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
};

struct Jobs {
  napi_env env = nullptr;
  std::unordered_set<std::shared_ptr<CancelToken>> running;
  Watchdog* watchdog = nullptr;  // null once closed
  bool watching = false;
  napi_ref probe = nullptr;  // a plain object: setting a property on it fails once JS cannot run

  void cancel_all() {
    for (const auto& token : running) token->cancel();
  }
  ~Jobs() {
    if (watchdog) watchdog->jobs = nullptr;
    if (probe) napi_delete_reference(env, probe);
  }
};

Jobs* jobs_of(Napi::Env env) { return env.GetInstanceData<Jobs>(); }

bool can_call_into_js(Jobs* jobs) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(jobs->env, &scope) != napi_ok) return false;
  napi_value probe = nullptr, value = nullptr;
  bool ok = napi_get_reference_value(jobs->env, jobs->probe, &probe) == napi_ok && probe != nullptr &&
            napi_get_boolean(jobs->env, true, &value) == napi_ok &&
            napi_set_named_property(jobs->env, probe, "alive", value) == napi_ok;
  if (!ok) {
    bool pending = false;
    ok = napi_is_exception_pending(jobs->env, &pending) == napi_ok && pending;  // a real exception: not teardown
  }
  napi_close_handle_scope(jobs->env, scope);
  return ok;
}

// Runs once per event-loop iteration while jobs run; during worker teardown the environment spins
// the loop waiting for them, and this is the first code of ours that runs.
void check_environment(uv_check_t* handle) {
  Jobs* jobs = reinterpret_cast<Watchdog*>(handle)->jobs;
  if (jobs->running.empty()) {
    uv_check_stop(handle);
    jobs->watching = false;
    return;
  }
  if (!can_call_into_js(jobs)) jobs->cancel_all();
}

void on_watchdog_closed(uv_handle_t* handle) {
  Watchdog* w = reinterpret_cast<Watchdog*>(handle);
  napi_remove_async_cleanup_hook(w->hook);
  delete w;
}

void cleanup(napi_async_cleanup_hook_handle hook, void* data) {
  Watchdog* w = static_cast<Watchdog*>(data);
  w->hook = hook;
  if (Jobs* jobs = w->jobs) {
    jobs->cancel_all();
    jobs->watchdog = nullptr;
    jobs->watching = false;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&w->handle), on_watchdog_closed);
}

}  // namespace

std::shared_ptr<CancelToken> register_job(Napi::Env env) {
  auto token = std::make_shared<CancelToken>();
  Jobs* jobs = jobs_of(env);
  if (!jobs || !jobs->watchdog) {
    token->cancel();  // the environment is exiting
    return token;
  }
  jobs->running.insert(token);
  if (!jobs->watching) {
    uv_check_start(&jobs->watchdog->handle, check_environment);
    jobs->watching = true;
  }
  return token;
}

void unregister_job(Napi::Env env, const std::shared_ptr<CancelToken>& token) {
  if (Jobs* jobs = jobs_of(env)) jobs->running.erase(token);
}

void InitEnvironment(Napi::Env env, Napi::Object exports) {
  auto* jobs = new Jobs();
  jobs->env = env;
  napi_create_reference(env, Napi::Object::New(env), 1, &jobs->probe);
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  auto* w = new Watchdog();
  w->jobs = jobs;
  uv_check_init(loop, &w->handle);
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->handle));  // never keeps the process alive
  jobs->watchdog = w;
  env.SetInstanceData<Jobs>(jobs);  // deleted with the environment
  napi_async_cleanup_hook_handle hook = nullptr;
  napi_add_async_cleanup_hook(env, cleanup, w, &hook);
  // cancelAll(): called by the 'exit' handler of src/core/native.ts.
  exports.Set("cancelAll", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    if (Jobs* j = jobs_of(info.Env())) j->cancel_all();
  }, "cancelAll"));
}

}  // namespace ascmh
