// Per-environment state (the main thread and each worker thread load the addon into their own
// environment): the cancel tokens of this environment's running jobs. An environment that exits
// cancels its jobs, so exit waits only for the block of work in progress:
// - process.exit() (main thread or worker) runs the 'exit' handler of src/core/native.ts, which
//   calls cancelAll();
// - worker.terminate() runs no JS; the environment then waits for in-flight jobs before it runs
//   cleanup hooks, so a libuv check handle, active while jobs run, notices that the environment
//   can no longer call into JS and cancels them;
// - the cleanup hook cancels whatever is left.
// A job whose environment is gone never settles its Promise (there is no JS left to see it).
#pragma once
#include <napi.h>

#include <memory>

#include "core/cancel.h"

namespace ascmh {

// A new token for a job of this environment, cancelled when the environment exits.
std::shared_ptr<CancelToken> register_job(Napi::Env env);
// The job has settled; its token no longer needs cancelling.
void unregister_job(Napi::Env env, const std::shared_ptr<CancelToken>& token);

void InitEnvironment(Napi::Env env, Napi::Object exports);

}  // namespace ascmh
