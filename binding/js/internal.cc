// _internal: the linear-algebra wrappers and single steps exposed for tests against naive
// references. Not part of the public API.
#include <napi.h>

#include <algorithm>

#include "train/ascmh.h"
#include "core/memory_limit.h"
#include "core/row_source.h"
#include "core/codes.h"
#include "js/args.h"
#include "js/errors.h"
#include "features/kernel_features.h"
#include "linalg/code_products.h"
#include "linalg/linalg.h"
#include "linalg/solvers.h"
#include "search/kernels.h"
#include "search/topk.h"

namespace ascmh {
namespace {

std::vector<double> f64(Napi::Env env, Napi::Value v, size_t expected, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + " must be a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  if (a.ElementLength() != expected) throw_coded(env, "ERR_ASCMH_SHAPE", std::string(name) + " has the wrong length");
  return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
}

int int_arg(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<int>(integer_arg(info.Env(), info[i], "ERR_ASCMH_OPTION", "a size", 0, 1 << 20));
}

// gemm(transA, transB, m, n, k, A, B) -> C = op(A) op(B)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = info[0].ToBoolean(), tb = info[1].ToBoolean();
  const int m = int_arg(info, 2), n = int_arg(info, 3), k = int_arg(info, 4);
  auto A = f64(env, info[5], (size_t)m * k, "A");
  auto B = f64(env, info[6], (size_t)k * n, "B");
  std::vector<double> C((size_t)m * n);
  gemm<double>(ta ? Op::T : Op::N, tb ? Op::T : Op::N, m, n, k, 1.0, A.data(), ta ? m : k, B.data(), tb ? k : n, 0.0,
               C.data(), n);
  return copy_to_js(env, C);
}

// syrk(trans, n, k, A) -> A^T A (trans, A k x n) or A A^T (A n x k)
Napi::Value Syrk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool t = info[0].ToBoolean();
  const int n = int_arg(info, 1), k = int_arg(info, 2);
  auto A = f64(env, info[3], (size_t)n * k, "A");
  std::vector<double> C((size_t)n * n);
  syrk<double>(t ? Op::T : Op::N, n, k, 1.0, A.data(), t ? n : k, 0.0, C.data(), n);
  return copy_to_js(env, C);
}

Napi::Value Gesvd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int m = int_arg(info, 0), n = int_arg(info, 1), mn = std::min(m, n);
  auto A = f64(env, info[2], (size_t)m * n, "A");
  std::vector<double> S(mn), U((size_t)m * mn), VT((size_t)mn * n);
  return guarded(env, [&]() -> Napi::Value {
    gesvd<double>(m, n, A.data(), S.data(), U.data(), VT.data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("S", copy_to_js(env, S));
    o.Set("U", copy_to_js(env, U));
    o.Set("VT", copy_to_js(env, VT));
    return o;
  });
}

Napi::Value Syevd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = int_arg(info, 0);
  auto A = f64(env, info[1], (size_t)n * n, "A");
  std::vector<double> w(n);
  return guarded(env, [&]() -> Napi::Value {
    syevd<double>(n, A.data(), w.data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("values", copy_to_js(env, w));
    o.Set("vectors", copy_to_js(env, A));
    return o;
  });
}

Napi::Value Posv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = int_arg(info, 0), nrhs = int_arg(info, 1);
  auto A = f64(env, info[2], (size_t)n * n, "A");
  auto B = f64(env, info[3], (size_t)n * nrhs, "B");
  return guarded(env, [&]() -> Napi::Value {
    posv<double>(n, nrhs, A.data(), B.data());
    return copy_to_js(env, B);
  });
}

Napi::Value PosvInPlace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = int_arg(info, 0), nrhs = int_arg(info, 1);
  auto A = f64(env, info[2], (size_t)n * n, "A");
  auto B = f64(env, info[3], (size_t)n * nrhs, "B");
  return guarded(env, [&]() -> Napi::Value {
    posv_in_place<double>(n, nrhs, A.data(), B.data());
    return copy_to_js(env, B);
  });
}

// spdSolve(n, nrhs, A, B) -> A^{-1} B through SpdFactor (cholesky_upper, then cholesky_solve)
Napi::Value SpdSolve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = int_arg(info, 0), nrhs = int_arg(info, 1);
  auto A = f64(env, info[2], (size_t)n * n, "A");
  auto B = f64(env, info[3], (size_t)n * nrhs, "B");
  return guarded(env, [&]() -> Napi::Value {
    SpdFactor<double>(n, std::move(A)).solve(nrhs, B.data());
    return copy_to_js(env, B);
  });
}

// codeProducts(r, n, p, F, steps, codes, limit) -> [{ BF, BBt, changed, incremental }] after each
// of `steps` updates with the r x n code matrices in `codes` (entries -1, 0, 1), F n x p.
Napi::Value CodeProductsSteps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int r = int_arg(info, 0), n = int_arg(info, 1), p = int_arg(info, 2), steps = int_arg(info, 4);
  auto F = f64(env, info[3], (size_t)n * p, "F");
  auto codes = f64(env, info[5], (size_t)steps * r * n, "codes");
  const double limit = number_arg(env, info[6], "ERR_ASCMH_OPTION", "limit", 0, 1);
  std::vector<int8_t> as_int(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] != -1 && codes[i] != 0 && codes[i] != 1) throw_coded(env, "ERR_ASCMH_OPTION", "codes must be -1, 0 or 1");
    as_int[i] = static_cast<int8_t>(codes[i]);
  }
  return guarded(env, [&]() -> Napi::Value {
    CodeProducts<double> products(r, n, p, F.data(), p);
    products.set_incremental_limit(limit);
    Napi::Array out = Napi::Array::New(env, steps);
    for (int s = 0; s < steps; ++s) {
      const int64_t changed = products.update(as_int.data() + (size_t)s * r * n);
      Napi::Object o = Napi::Object::New(env);
      o.Set("BF", copy_to_js(env, std::vector<double>(products.BF(), products.BF() + (size_t)r * p)));
      o.Set("BBt", copy_to_js(env, std::vector<double>(products.BBt(), products.BBt() + (size_t)r * r)));
      o.Set("values", copy_to_js(env, std::vector<double>(products.codes_as_values(), products.codes_as_values() + (size_t)r * n)));
      o.Set("changed", Napi::Number::New(env, static_cast<double>(changed)));
      o.Set("incremental", Napi::Boolean::New(env, products.last_update_incremental()));
      out.Set(static_cast<uint32_t>(s), o);
    }
    return out;
  });
}

// ridgeLowrankEigen(k, K, lambda, p, A, s) -> { U, theta }: K U = (lambda I + s A A^T) U diag(theta)
Napi::Value RidgeLowrankEigen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int k = int_arg(info, 0), p = int_arg(info, 3);
  auto K = f64(env, info[1], (size_t)k * k, "K");
  const double lambda = number_arg(env, info[2], "ERR_ASCMH_OPTION", "lambda", 1e-300, 1e300);
  auto A = f64(env, info[4], (size_t)k * p, "A");
  const double s = number_arg(env, info[5], "ERR_ASCMH_OPTION", "s", 0, 1e300);
  return guarded(env, [&]() -> Napi::Value {
    std::vector<double> U((size_t)k * k), theta(k);
    ridge_lowrank_eigen<double>(k, K.data(), lambda, p, A.data(), s, U.data(), theta.data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("U", copy_to_js(env, U));
    o.Set("theta", copy_to_js(env, theta));
    return o;
  });
}

// diagonalSylvester(k, r, theta, P, R) -> Omega with diag(theta) Omega P + Omega = R
Napi::Value DiagonalSylvester(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int k = int_arg(info, 0), r = int_arg(info, 1);
  auto theta = f64(env, info[2], (size_t)k, "theta");
  auto P = f64(env, info[3], (size_t)r * r, "P");
  auto R = f64(env, info[4], (size_t)k * r, "R");
  return guarded(env, [&]() -> Napi::Value {
    std::vector<double> l(r), Omega((size_t)k * r);
    syevd<double>(r, P.data(), l.data());
    diagonal_sylvester<double>(k, r, theta.data(), P.data(), l.data(), R.data(), Omega.data());
    return copy_to_js(env, Omega);
  });
}

// pivotedCholesky(n, A) -> { U, order, rank }
Napi::Value PivotedCholesky(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int n = int_arg(info, 0);
  auto A = f64(env, info[1], (size_t)n * n, "A");
  return guarded(env, [&]() -> Napi::Value {
    std::vector<int> order;
    const int rank = pivoted_cholesky(n, A.data(), order);
    Napi::Object o = Napi::Object::New(env);
    o.Set("U", copy_to_js(env, A));
    Napi::Array js_order = Napi::Array::New(env, order.size());
    for (uint32_t j = 0; j < order.size(); ++j) js_order.Set(j, order[j]);
    o.Set("order", js_order);
    o.Set("rank", rank);
    return o;
  });
}

// rbfFeatures({count, dim, anchors, sigma, mean}, X) -> rows x count
Napi::Value RbfFeatures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object spec = info[0].As<Napi::Object>();
  RbfKernel<double> k;
  k.anchors = integer_option(env, spec, "count", 0, "ERR_ASCMH_OPTION", 1, 1 << 20);
  k.dim = integer_option(env, spec, "dim", 0, "ERR_ASCMH_OPTION", 1, 1 << 20);
  k.sigma = number_option(env, spec, "sigma", 1, "ERR_ASCMH_OPTION", 1e-300, 1e300);
  k.anchor_rows = f64(env, spec.Get("anchors"), (size_t)(k.anchors * k.dim), "anchors");
  k.mean = f64(env, spec.Get("mean"), (size_t)k.anchors, "mean");
  prepare_anchors(k);
  MatrixView X = matrix_arg(env, info[1], "X").view;
  if (X.cols != k.dim) throw_coded(env, "ERR_ASCMH_SHAPE", "X has the wrong number of columns");
  std::vector<double> out((size_t)(X.rows * k.anchors));
  rbf_features(k, X, 0, X.rows, out.data(), k.anchors);
  return copy_to_js(env, out);
}

Napi::Value FindNonFinite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw_coded(env, "ERR_ASCMH_DTYPE", "expected a typed array");
  auto t = info[0].As<Napi::TypedArray>();
  if (t.TypedArrayType() == napi_float32_array)
    return Napi::Number::New(env, (double)find_non_finite(t.As<Napi::Float32Array>().Data(), t.ElementLength(), true));
  if (t.TypedArrayType() == napi_float64_array)
    return Napi::Number::New(env, (double)find_non_finite(t.As<Napi::Float64Array>().Data(), t.ElementLength(), false));
  return Napi::Number::New(env, -1);
}

// hammingScan(query, db, count, bits, { k, maxDist, base, start, step, dead, bound, dense }) ->
// { positions, distances, complete }: the current scan kernel (its dense variant with dense:
// true) run straight over db items [start, count), offered as positions base + (i - start),
// `step` items per kernel call (0: one call), into one TopK (k 0 = unlimited); dead: a
// BigUint64Array of removed-item bits relative to base; bound: a TopK::limit_cut bound (the
// answer also says whether it is complete).
Napi::Value HammingScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int bits = static_cast<int>(integer_arg(env, info[3], "ERR_ASCMH_BITS", "bits", 1, 1024));
    const int64_t count = integer_arg(env, info[2], "ERR_ASCMH_CODES", "count", 0, 1 << 24);
    const std::vector<uint64_t> q = codes_arg(env, info[0], "query", 1, bits);
    const std::vector<uint64_t> db = codes_arg(env, info[1], "db", count, bits);
    Napi::Object o = object_arg(env, info[4], "ERR_ASCMH_OPTION", "scan options");
    const int64_t k = integer_option(env, o, "k", 0, "ERR_ASCMH_OPTION", 0, kMaxSafeInteger);
    const int max_dist = static_cast<int>(integer_option(env, o, "maxDist", bits, "ERR_ASCMH_OPTION", 0, bits));
    const int64_t base = integer_option(env, o, "base", 0, "ERR_ASCMH_OPTION", 0, int64_t(1) << 40);
    const int64_t start = integer_option(env, o, "start", 0, "ERR_ASCMH_OPTION", 0, count);
    const int64_t step = integer_option(env, o, "step", 0, "ERR_ASCMH_OPTION", 0, kMaxSafeInteger);
    const int64_t bound = integer_option(env, o, "bound", -1, "ERR_ASCMH_OPTION", -1, bits + 1);
    std::vector<uint64_t> dead;
    Napi::Value d = o.Get("dead");
    if (d.IsTypedArray() && d.As<Napi::TypedArray>().TypedArrayType() == napi_biguint64_array) {
      auto a = d.As<Napi::BigUint64Array>();
      if (static_cast<int64_t>(a.ElementLength()) < (count - start + 63) / 64)
        throw_coded(env, "ERR_ASCMH_SHAPE", "dead has too few words");
      dead.assign(a.Data(), a.Data() + a.ElementLength());
    }
    const int words = words_per_code(bits);
    const bool dense = o.Get("dense").ToBoolean();
    const HammingScanFn scan = dense ? hamming_dense_scan_kernel(bits) : hamming_scan_kernel(bits);
    TopK top;
    top.reset(k > 0 ? k : TopK::kUnlimited, max_dist);
    top.set_dead(dead.empty() ? nullptr : dead.data(), base);
    if (bound >= 0) top.limit_cut(static_cast<int>(bound));
    const int64_t n = count - start, piece = step > 0 ? step : std::max<int64_t>(n, 1);
    for (int64_t at = 0; at < n; at += piece)
      scan(q.data(), db.data() + (start + at) * words, std::min(piece, n - at), words, base + at, top);
    std::vector<int64_t> pos;
    std::vector<uint16_t> dist;
    top.finish(pos, dist);
    Napi::Object out = Napi::Object::New(env);
    std::vector<double> p(pos.begin(), pos.end());
    out.Set("positions", copy_to_js(env, p));
    out.Set("distances", copy_to_js(env, dist));
    out.Set("complete", top.complete());
    return out;
  });
}

// hammingDistances(query, db, count, bits, start) -> Uint16Array: the current distance kernel
// over db items [start, count).
Napi::Value HammingDistances(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int bits = static_cast<int>(integer_arg(env, info[3], "ERR_ASCMH_BITS", "bits", 1, 65535));
    const int64_t count = integer_arg(env, info[2], "ERR_ASCMH_CODES", "count", 0, 1 << 24);
    const int64_t start = integer_arg(env, info[4], "ERR_ASCMH_OPTION", "start", 0, static_cast<double>(count));
    const std::vector<uint64_t> q = codes_arg(env, info[0], "query", 1, bits);
    const std::vector<uint64_t> db = codes_arg(env, info[1], "db", count, bits);
    const int words = words_per_code(bits);
    std::vector<uint16_t> out(static_cast<size_t>(count - start));
    hamming_dist_kernel(bits)(q.data(), db.data() + start * words, count - start, words, out.data());
    return copy_to_js(env, out);
  });
}

}  // namespace

void InitInternal(Napi::Env env, Napi::Object exports) {
  Napi::Object internal = Napi::Object::New(env);
  internal.Set("gemm", Napi::Function::New(env, Gemm));
  internal.Set("syrk", Napi::Function::New(env, Syrk));
  internal.Set("gesvd", Napi::Function::New(env, Gesvd));
  internal.Set("syevd", Napi::Function::New(env, Syevd));
  internal.Set("posv", Napi::Function::New(env, Posv));
  internal.Set("posvInPlace", Napi::Function::New(env, PosvInPlace));
  internal.Set("pivotedCholesky", Napi::Function::New(env, PivotedCholesky));
  internal.Set("spdSolve", Napi::Function::New(env, SpdSolve));
  internal.Set("codeProducts", Napi::Function::New(env, CodeProductsSteps));
  internal.Set("ridgeLowrankEigen", Napi::Function::New(env, RidgeLowrankEigen));
  internal.Set("diagonalSylvester", Napi::Function::New(env, DiagonalSylvester));
  internal.Set("rbfFeatures", Napi::Function::New(env, RbfFeatures));
  internal.Set("setFeatureKernel", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), set_feature_kernel(info[0].ToString().Utf8Value()));
  }));
  // setMemoryLimit(bytes): the budget of core/memory_limit.h (0 restores the default).
  internal.Set("setMemoryLimit", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    set_memory_limit(static_cast<uint64_t>(integer_arg(info.Env(), info[0], "ERR_ASCMH_OPTION", "bytes", 0, kMaxSafeInteger)));
  }));
  internal.Set("memoryLimit", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(memory_limit()));
  }));
  internal.Set("sparseDistanceBlocks", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(sparse_distance_blocks()));
  }));
  internal.Set("hammingScan", Napi::Function::New(env, HammingScan));
  internal.Set("hammingDistances", Napi::Function::New(env, HammingDistances));
  exports.Set("_internal", internal);
  exports.Set("findNonFinite", Napi::Function::New(env, FindNonFinite, "findNonFinite"));
}

}  // namespace ascmh
