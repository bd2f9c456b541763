#include "js/row_stream.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>

#include "core/error.h"

namespace ascmh {

struct JsRowSource::Request {
  // What to copy: `count` rows, the listed ones or those from `first`.
  std::vector<int64_t> list;
  int64_t first = 0, count = 0;
  std::shared_ptr<std::vector<char>> staging;  // kept alive by an abandoned request
  size_t at = 0;
  // Settled by the JS thread (or by the TSFN finalizer when the environment goes away).
  bool done = false;
  std::string error;
};

namespace {
void settle_js(Napi::Env env, Napi::Function, JsRowSource::Shared* shared, std::shared_ptr<JsRowSource::Request>* data);
void finalize_js(Napi::Env env, void*, JsRowSource::Shared* shared);
using Tsfn = Napi::TypedThreadSafeFunction<JsRowSource::Shared, std::shared_ptr<JsRowSource::Request>, settle_js>;
}  // namespace

struct JsRowSource::Shared {
  std::mutex mutex;
  std::condition_variable settled;
  bool gone = false;  // the TSFN was finalized (its environment is exiting): never call it again
  Tsfn tsfn;
  Napi::Reference<Napi::TypedArray> array;  // touched only on the JS thread
  int64_t rows = 0, cols = 0;
  size_t element_bytes = 4;
  napi_typedarray_type type = napi_float32_array;
  std::shared_ptr<Shared> self;  // the TSFN's own reference, dropped by the finalizer
};

namespace {

void settle_js(Napi::Env env, Napi::Function, JsRowSource::Shared* shared, std::shared_ptr<JsRowSource::Request>* data) {
  std::unique_ptr<std::shared_ptr<JsRowSource::Request>> owned(data);
  JsRowSource::Request& r = **data;
  std::string error;
  if (env == nullptr || shared->array.IsEmpty()) {
    error = "the environment is exiting";
  } else {
    Napi::HandleScope scope(env);
    Napi::TypedArray array = shared->array.Value();
    const size_t row = static_cast<size_t>(shared->cols) * shared->element_bytes;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    // The data pointer as of now (it includes the view's offset; SharedArrayBuffers work too).
    if (array.IsEmpty() || napi_get_typedarray_info(env, array, &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != shared->type || static_cast<int64_t>(length) != shared->rows * shared->cols || data == nullptr) {
      error = "the input's buffer was detached, transferred or resized while the operation was running";
    } else {
      const char* base = static_cast<const char*>(data);
      char* out = r.staging->data() + r.at;
      for (int64_t i = 0; i < r.count; ++i) {
        const int64_t source = r.list.empty() ? r.first + i : r.list[i];
        std::memcpy(out + i * row, base + source * row, row);
      }
    }
  }
  std::lock_guard<std::mutex> lock(shared->mutex);
  r.error = error;
  r.done = true;
  shared->settled.notify_all();
}

void finalize_js(Napi::Env, void*, JsRowSource::Shared* shared) {
  std::shared_ptr<JsRowSource::Shared> keep = shared->self;
  shared->array.Reset();
  std::lock_guard<std::mutex> lock(shared->mutex);
  shared->gone = true;
  shared->self.reset();
  shared->settled.notify_all();
}

}  // namespace

JsRowSource::JsRowSource(Napi::Env env, const MatrixArg& matrix, std::shared_ptr<CancelToken> token)
    : RowSource(matrix.view.rows, matrix.view.cols, matrix.view.is_float32),
      shared_(std::make_shared<Shared>()),
      staging_(std::make_shared<std::vector<char>>()),
      token_(std::move(token)) {
  shared_->array = Napi::Reference<Napi::TypedArray>::New(matrix.array, 1);
  shared_->rows = rows();
  shared_->cols = cols();
  shared_->element_bytes = element_bytes();
  shared_->type = matrix.array.TypedArrayType();
  shared_->self = shared_;
  shared_->tsfn = Tsfn::New(env, "ascmh:rows", 0, 1, shared_.get(), finalize_js, static_cast<void*>(nullptr));
}

JsRowSource::~JsRowSource() {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  if (!shared_->gone) shared_->tsfn.Release();
}

void JsRowSource::fetch(const int64_t* list, int64_t first, int64_t count, size_t at) {
  auto request = std::make_shared<Request>();
  if (list) request->list.assign(list, list + count);
  request->first = first;
  request->count = count;
  request->staging = staging_;
  request->at = at;
  std::unique_lock<std::mutex> lock(shared_->mutex);
  if (shared_->gone) fail("ERR_ASCMH_CANCELLED", "the operation was cancelled: its environment is exiting");
  auto* message = new std::shared_ptr<Request>(request);
  if (shared_->tsfn.NonBlockingCall(message) != napi_ok) {
    delete message;
    fail("ERR_ASCMH_CANCELLED", "the operation was cancelled: its environment is exiting");
  }
  // Wait for the JS thread; a cancelled job leaves the request behind (it owns what it writes to).
  while (!request->done && !shared_->gone) {
    if (token_ && token_->cancelled()) {
      staging_ = std::make_shared<std::vector<char>>();
      fail("ERR_ASCMH_CANCELLED", "the operation was cancelled");
    }
    shared_->settled.wait_for(lock, std::chrono::milliseconds(10));
  }
  if (!request->done) fail("ERR_ASCMH_CANCELLED", "the operation was cancelled: its environment is exiting");
  if (!request->error.empty()) fail("ERR_ASCMH_INPUT_CHANGED", request->error);
}

MatrixView JsRowSource::block(int64_t r0, int64_t r1) {
  const size_t row = static_cast<size_t>(cols()) * element_bytes();
  const int64_t count = r1 - r0;
  if (staging_->size() < static_cast<size_t>(count) * row) staging_->resize(static_cast<size_t>(count) * row);
  const int64_t piece = std::max<int64_t>(1, static_cast<int64_t>(kPieceBytes / std::max<size_t>(row, 1)));
  for (int64_t done = 0; done < count; done += piece)
    fetch(nullptr, r0 + done, std::min(piece, count - done), static_cast<size_t>(done) * row);
  return view_of(staging_->data(), count);
}

MatrixView JsRowSource::gather(const std::vector<int64_t>& list) {
  const size_t row = static_cast<size_t>(cols()) * element_bytes();
  const int64_t count = static_cast<int64_t>(list.size());
  if (staging_->size() < list.size() * row) staging_->resize(list.size() * row);
  const int64_t piece = std::max<int64_t>(1, static_cast<int64_t>(kPieceBytes / std::max<size_t>(row, 1)));
  for (int64_t done = 0; done < count; done += piece)
    fetch(list.data() + done, 0, std::min(piece, count - done), static_cast<size_t>(done) * row);
  return view_of(staging_->data(), count);
}

std::unique_ptr<RowSource> rows_for_job(Napi::Env env, const MatrixArg& matrix, std::shared_ptr<CancelToken> token) {
  const double bytes = static_cast<double>(matrix.view.rows) * matrix.view.cols * (matrix.view.is_float32 ? 4 : 8);
  if (bytes <= static_cast<double>(JsRowSource::kPieceBytes)) return std::make_unique<OwnedRows>(matrix.view);
  return std::make_unique<JsRowSource>(env, matrix, std::move(token));
}

}  // namespace ascmh
