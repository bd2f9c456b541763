// Test hooks of DDASH's pieces on `_internal` (not public API), for checks against naive
// references: the DCC solver, the similarity products and batch gradient, the network's forward
// and backward passes. Float64 only; sizes are small.
#include <napi.h>

#include <numeric>

#include "core/blas_lane.h"
#include "js/args.h"
#include "js/errors.h"
#include "encoders/vector_tanh.h"
#include "js/mlp_args.h"
#include "linalg/linalg.h"
#include "train/dcc.h"
#include "train/ddash.h"
#include "train/label_similarity.h"
#include "train/mlp_training.h"

namespace ascmh {
namespace {

std::vector<double> f64_arg(Napi::Env env, Napi::Value v, size_t expected, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + " must be a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  if (a.ElementLength() != expected) throw_coded(env, "ERR_ASCMH_SHAPE", std::string(name) + " has the wrong length");
  return std::vector<double>(a.Data(), a.Data() + expected);
}

std::vector<int64_t> rows_arg(Napi::Env env, Napi::Value v, int64_t n) {
  if (!v.IsArray()) throw_coded(env, "ERR_ASCMH_OPTION", "rows must be an array");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i)
    out[i] = integer_arg(env, a.Get(i), "ERR_ASCMH_OPTION", "a row", 0, static_cast<double>(n - 1));
  return out;
}

int size_arg(Napi::Env env, Napi::Value v, const char* name) {
  return static_cast<int>(integer_arg(env, v, "ERR_ASCMH_OPTION", name, 1, 1 << 20));
}

// dccSweeps(n, r, H, Q, B, sweeps, layout?) -> { B, changed, objective }; layout 'bits-by-items'
// reads Q and B as r x n.
Napi::Value DccSweeps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int n = size_arg(env, info[0], "n"), r = size_arg(env, info[1], "r");
    const std::vector<double> H = f64_arg(env, info[2], static_cast<size_t>(r) * r, "H");
    const std::vector<double> Q = f64_arg(env, info[3], static_cast<size_t>(n) * r, "Q");
    if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_int8_array)
      throw_coded(env, "ERR_ASCMH_DTYPE", "B must be an Int8Array");
    auto b = info[4].As<Napi::Int8Array>();
    if (b.ElementLength() != static_cast<size_t>(n) * r) throw_coded(env, "ERR_ASCMH_SHAPE", "B has the wrong length");
    std::vector<int8_t> B(b.Data(), b.Data() + b.ElementLength());
    const int sweeps = static_cast<int>(integer_arg(env, info[5], "ERR_ASCMH_OPTION", "sweeps", 0, 1000));
    const bool by_items = info[6].IsString() && info[6].As<Napi::String>().Utf8Value() == "bits-by-items";
    const DccLayout layout = by_items ? DccLayout::bits_by_items(n) : DccLayout::items_by_bits(r);
    const int64_t changed = dcc_sweeps<double>(n, r, H.data(), Q.data(), layout, B.data(), layout, sweeps);
    Napi::Object o = Napi::Object::New(env);
    auto out = Napi::Int8Array::New(env, B.size());
    std::copy(B.begin(), B.end(), out.Data());
    o.Set("B", out);
    o.Set("changed", static_cast<double>(changed));
    o.Set("objective", dcc_objective<double>(n, r, H.data(), Q.data(), layout, B.data(), layout));
    return o;
  });
}

// ddashSimilarity(labels, rows, B (n x r), U (rows x r), { gamma, rebalance }) ->
//   { rho, SB = S_rows B, StU = S_rows^T U, norm2 = ||S_rows||^2, loss, gradient }
Napi::Value DdashSimilarity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const ByteMatrix labels = byte_matrix_arg(env, info[0], "labels");
    const int64_t n = labels.rows;
    const std::vector<int64_t> rows = rows_arg(env, info[1], n);
    Napi::Object o = object_arg(env, info[4], "ERR_ASCMH_OPTION", "options");
    const int r = size_arg(env, o.Get("bits"), "bits");
    const double gamma = number_option(env, o, "gamma", 0, "ERR_ASCMH_OPTION", 0, 1e300);
    const bool rebalance = o.Get("rebalance").IsUndefined() || o.Get("rebalance").ToBoolean().Value();
    const int64_t m = static_cast<int64_t>(rows.size());
    const std::vector<double> B = f64_arg(env, info[2], static_cast<size_t>(n) * r, "B");
    const std::vector<double> U = f64_arg(env, info[3], static_cast<size_t>(m) * r, "U");
    const LabelSimilarity<double> S = label_similarity<double>(labels.data.data(), n, labels.cols, rebalance);
    std::vector<double> K(static_cast<size_t>(r) * r), GtB(static_cast<size_t>(S.c) * r), Bsum(r);
    std::vector<double> SB(static_cast<size_t>(m) * r), StU(static_cast<size_t>(n) * r, 0.0), grad(SB.size());
    double loss;
    {
      BlasLaneGuard lane;
      syrk<double>(Op::T, r, static_cast<int>(n), 1.0, B.data(), r, 0.0, K.data(), r);
      similarity_sums(S, B.data(), r, GtB.data(), Bsum.data());
      similarity_rows_times(S, rows.data(), m, GtB.data(), Bsum.data(), r, SB.data());
      similarity_rows_transposed_times(S, rows.data(), m, U.data(), r, 1.0, StU.data());
      loss = ddash_batch_gradient(S, rows.data(), m, U.data(), B.data(), K.data(), GtB.data(), Bsum.data(), r, gamma,
                                  grad.data());
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("rho", S.rho);
    out.Set("SB", copy_to_js(env, SB));
    out.Set("StU", copy_to_js(env, StU));
    out.Set("norm2", similarity_rows_norm2(S, rows.data(), m));
    out.Set("loss", loss);
    out.Set("gradient", copy_to_js(env, grad));
    return out;
  });
}

// mlpForward(net, X (rows x dim), direct?) -> { U = tanh(Z), Z }; mlpBackward(net, X, dU) ->
// the parameter gradients { W1, b1, W2, b2 } of sum(dU .* U).
const MlpHash<double>& f64_net(Napi::Env env, const AnyMlp& any) {
  if (any.index() != 0) throw_coded(env, "ERR_ASCMH_DTYPE", "the test hooks take float64 networks");
  return *std::get<0>(any);
}

std::vector<double> standardised(Napi::Env env, const MlpHash<double>& net, Napi::Value X, int64_t* rows) {
  const MatrixArg a = matrix_arg(env, X, "X");
  if (a.view.cols != net.dim) throw_coded(env, "ERR_ASCMH_SHAPE", "X has the wrong number of columns");
  *rows = a.view.rows;
  std::vector<double> Xs(static_cast<size_t>(a.view.rows * net.dim));
  standardise_rows(net, a.view, 0, "X", Xs.data());
  return Xs;
}

Napi::Value MlpForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const AnyMlp any = mlp_arg(env, info[0], "ERR_ASCMH_OPTION");
    const MlpHash<double>& net = f64_net(env, any);
    int64_t rows = 0;
    const std::vector<double> Xs = standardised(env, net, info[1], &rows);
    std::vector<double> H(static_cast<size_t>(rows * net.hidden)), Z(static_cast<size_t>(rows * net.bits));
    if (info[2].ToBoolean().Value()) {
      mlp_forward_direct(net, Xs.data(), rows, H.data(), Z.data());
    } else {
      BlasLaneGuard lane;
      mlp_forward(net, Xs.data(), rows, H.data(), Z.data());
    }
    std::vector<double> U(Z.size());
    for (size_t i = 0; i < Z.size(); ++i) U[i] = tanh_fast(Z[i]);
    Napi::Object out = Napi::Object::New(env);
    out.Set("Z", copy_to_js(env, Z));
    out.Set("U", copy_to_js(env, U));
    return out;
  });
}

Napi::Value MlpBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const AnyMlp any = mlp_arg(env, info[0], "ERR_ASCMH_OPTION");
    MlpHash<double> net = f64_net(env, any);
    int64_t rows = 0;
    const std::vector<double> Xs = standardised(env, net, info[1], &rows);
    const std::vector<double> dU = f64_arg(env, info[2], static_cast<size_t>(rows) * net.bits, "dU");
    MlpTrainer<double> trainer(net, AdamSettings{});
    {
      BlasLaneGuard lane;
      trainer.forward(Xs.data(), rows);
      trainer.backward(dU.data());
    }
    const MlpGradient<double>& g = trainer.gradient();
    Napi::Object out = Napi::Object::New(env);
    out.Set("W1", copy_to_js(env, g.W1));
    out.Set("b1", copy_to_js(env, g.b1));
    out.Set("W2", copy_to_js(env, g.W2));
    out.Set("b2", copy_to_js(env, g.b2));
    return out;
  });
}

}  // namespace

// After InitInternal: the hooks join `_internal`.
void InitDdashInternal(Napi::Env env, Napi::Object exports) {
  Napi::Object internal = exports.Get("_internal").As<Napi::Object>();
  internal.Set("dccSweeps", Napi::Function::New(env, DccSweeps));
  internal.Set("ddashSimilarity", Napi::Function::New(env, DdashSimilarity));
  internal.Set("mlpForward", Napi::Function::New(env, MlpForward));
  internal.Set("mlpBackward", Napi::Function::New(env, MlpBackward));
}

}  // namespace ascmh
