#include "js/projection_args.h"

#include <cmath>
#include <string>

#include "core/memory_limit.h"
#include "js/args.h"

namespace ascmh {

std::vector<double> projections_arg(Napi::Env env, Napi::Value value, const char* name, int bits, int64_t* rows) {
  MatrixArg p = matrix_arg(env, value, name);
  if (p.view.cols != bits)
    throw_coded(env, "ERR_ASCMH_SHAPE", std::string(name) + " have " + std::to_string(p.view.cols) + " columns, " +
                                            std::to_string(bits) + " expected (one per code bit)");
  *rows = p.view.rows;
  require_memory(static_cast<double>(p.view.rows) * bits, 8, std::string("the ") + name);
  check_finite(p.view, 0, name);
  std::vector<double> out(static_cast<size_t>(p.view.rows * bits));
  p.view.copy_rows(0, p.view.rows, out.data());
  for (int64_t r = 0; r < p.view.rows; ++r) {
    double sum = 0;
    for (int j = 0; j < bits; ++j) sum += std::fabs(out[static_cast<size_t>(r * bits + j)]);
    if (!(sum <= kMaxProjectionSum))
      throw_coded(env, "ERR_ASCMH_PROJECTION_RANGE", std::string(name) + " row " + std::to_string(r) +
                                                         ": the sum of |values| exceeds 1e37 (scores are single precision)");
  }
  return out;
}

}  // namespace ascmh
