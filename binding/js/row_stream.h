// Rows of a JS matrix for work on another thread, copied block by block by the JS thread into a
// buffer the work owns. The work never reads JS memory itself, so a buffer that is detached,
// transferred, resized or freed meanwhile cannot be read after the fact: the next copy sees the
// array's new length and fails the work with ERR_ASCMH_INPUT_CHANGED. Each copy is at most
// kPieceBytes, so the event loop is held only briefly, and the staging buffer is allocated and
// first touched on the worker thread.
//
// Never request rows while holding the BLAS lane: the JS thread may be waiting for it.
#pragma once
#include <napi.h>

#include <memory>
#include <vector>

#include "core/cancel.h"
#include "core/row_source.h"
#include "js/args.h"

namespace ascmh {

class JsRowSource : public RowSource {
 public:
  static constexpr size_t kPieceBytes = size_t(8) << 20;

  // On the JS thread, with the matrix as checked by matrix_arg.
  JsRowSource(Napi::Env env, const MatrixArg& matrix, std::shared_ptr<CancelToken> token);
  ~JsRowSource() override;
  JsRowSource(const JsRowSource&) = delete;
  JsRowSource& operator=(const JsRowSource&) = delete;

  MatrixView block(int64_t r0, int64_t r1) override;
  MatrixView gather(const std::vector<int64_t>& rows) override;

  struct Shared;
  struct Request;

 private:
  // Copies the listed rows (or `count` rows from `first`) into the staging buffer at `at`.
  void fetch(const int64_t* list, int64_t first, int64_t count, size_t at);

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<std::vector<char>> staging_;
  std::shared_ptr<CancelToken> token_;
};

// The rows of `matrix` for a job: a private copy when small (copied now), else a JsRowSource.
std::unique_ptr<RowSource> rows_for_job(Napi::Env env, const MatrixArg& matrix, std::shared_ptr<CancelToken> token);

}  // namespace ascmh
