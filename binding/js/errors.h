// The one translator from native failures to JS errors: a CodedError keeps its code, allocation
// failure becomes ERR_ASCMH_OUT_OF_MEMORY and anything else ERR_ASCMH_INTERNAL, so every error that
// reaches JS carries a code (the TS layer gives it the AscmhError class).
#pragma once
#include <napi.h>

#include <exception>
#include <string>

namespace ascmh {

Napi::Error coded_error(Napi::Env env, const std::string& code, const std::string& message);
[[noreturn]] void throw_coded(Napi::Env env, const std::string& code, const std::string& message);

// The JS error for a caught native exception (a Napi::Error passes through unchanged).
Napi::Error js_error(Napi::Env env, std::exception_ptr error);

// Runs body on the JS thread; native exceptions leave as coded JS exceptions.
template <class F>
auto guarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw js_error(env, std::current_exception());
  }
}

}  // namespace ascmh
