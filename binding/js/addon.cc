// Module entry: each concern registers its own functions.
#include <napi.h>

#include <cstdlib>
#include <string>

#include "features/kernel_features.h"
#include "search/kernels.h"
#include "linalg/linalg.h"
#include "source_hash.h"
#include "core/thread_pool.h"
#include "js/errors.h"

namespace ascmh {
void InitTrain(Napi::Env env, Napi::Object exports);
void InitTrainMethods(Napi::Env env, Napi::Object exports);
void InitEncode(Napi::Env env, Napi::Object exports);
void InitEvaluate(Napi::Env env, Napi::Object exports);
void InitInternal(Napi::Env env, Napi::Object exports);
void InitIndex(Napi::Env env, Napi::Object exports);
void InitEnvironment(Napi::Env env, Napi::Object exports);
void InitDurable(Napi::Env env, Napi::Object exports);
void InitDdash(Napi::Env env, Napi::Object exports);
void InitMlpEncoder(Napi::Env env, Napi::Object exports);
void InitDdashInternal(Napi::Env env, Napi::Object exports);
}  // namespace ascmh

namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("sourceHash", ASCMH_SOURCE_HASH);
  o.Set("blas", ascmh::blas_config());
  o.Set("blasThreads", ascmh::blas_threads());
  o.Set("poolThreads", ascmh::ThreadPool::instance().concurrency());
  o.Set("popcount", ascmh::hamming_kernel_name());
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

// ASCMH_KERNELS=generic starts with the portable kernels (the sanitizer run of scripts/sanitize).
void choose_kernels_from_environment() {
  const char* kernels = std::getenv("ASCMH_KERNELS");
  if (kernels && std::string(kernels) == "generic") {
    ascmh::set_hamming_kernel("generic");
    ascmh::set_feature_kernel("baseline");
  }
}

// ASCMH_THREADS=n: threads for the native pool and for BLAS (default: all cores).
void choose_threads_from_environment() {
  const char* text = std::getenv("ASCMH_THREADS");
  if (!text) return;
  char* end = nullptr;
  const long n = std::strtol(text, &end, 10);
  if (end == text || *end != 0 || n < 1 || n > 256) return;
  ascmh::ThreadPool::instance().set_concurrency(static_cast<int>(n));
  ascmh::set_blas_threads(static_cast<int>(n));
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) ascmh::throw_coded(env, "ERR_ASCMH_OPTION", "threads must be an integer from 1 to 256");
  const double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= 256) || n != static_cast<double>(static_cast<int>(n)))
    ascmh::throw_coded(env, "ERR_ASCMH_OPTION", "threads must be an integer from 1 to 256");
  ascmh::ThreadPool::instance().set_concurrency(static_cast<int>(n));
  ascmh::set_blas_threads(static_cast<int>(n));
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  choose_kernels_from_environment();
  choose_threads_from_environment();
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  ascmh::InitEnvironment(env, exports);
  ascmh::InitTrain(env, exports);
  ascmh::InitTrainMethods(env, exports);
  ascmh::InitEncode(env, exports);
  ascmh::InitEvaluate(env, exports);
  ascmh::InitInternal(env, exports);
  ascmh::InitIndex(env, exports);
  ascmh::InitDurable(env, exports);
  ascmh::InitDdash(env, exports);
  ascmh::InitMlpEncoder(env, exports);
  ascmh::InitDdashInternal(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(ascmh, Init)
