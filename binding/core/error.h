// The one error type of the native code: a stable ERR_ASCMH_* code and a message. js/errors.cc turns
// it, std::bad_alloc and anything else into a JS Error carrying the code; nothing else throws to JS.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace ascmh {

class CodedError : public std::runtime_error {
 public:
  CodedError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

[[noreturn]] inline void fail(const char* code, const std::string& message) { throw CodedError(code, message); }

}  // namespace ascmh
