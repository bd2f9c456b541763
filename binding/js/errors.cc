#include "js/errors.h"

#include <new>

#include "core/error.h"

namespace ascmh {

Napi::Error coded_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void throw_coded(Napi::Env env, const std::string& code, const std::string& message) {
  throw coded_error(env, code, message);
}

Napi::Error js_error(Napi::Env env, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Napi::Error& e) {
    return e;
  } catch (const CodedError& e) {
    return coded_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return coded_error(env, "ERR_ASCMH_OUT_OF_MEMORY", "not enough memory for this operation");
  } catch (const std::length_error& e) {
    return coded_error(env, "ERR_ASCMH_TOO_LARGE", std::string("request too large: ") + e.what());
  } catch (const std::exception& e) {
    return coded_error(env, "ERR_ASCMH_INTERNAL", std::string("internal error: ") + e.what());
  } catch (...) {
    return coded_error(env, "ERR_ASCMH_INTERNAL", "internal error");
  }
}

}  // namespace ascmh
