// MlpEncoder: the hash network of one modality (encoder kind 'mlp'), held natively so each call pays
// no model conversion. encode / project read the caller's rows in place (synchronous calls);
// encodeAsync / projectAsync never do (js/row_stream.h). project gives tanh(z), the real-valued
// outputs whose signs are the code bits.
#include <napi.h>

#include <memory>

#include "core/codes.h"
#include "core/memory_limit.h"
#include "js/args.h"
#include "js/job.h"
#include "js/mlp_args.h"
#include "js/row_stream.h"

namespace ascmh {
namespace {

int net_bits(const AnyMlp& net) {
  return std::visit([](const auto& h) { return h->bits; }, net);
}
int64_t net_dim(const AnyMlp& net) {
  return std::visit([](const auto& h) { return h->dim; }, net);
}
bool net_single(const AnyMlp& net) { return net.index() == 1; }

// The real outputs as the model's element type, moved to JS.
struct Projection {
  std::vector<double> f64;
  std::vector<float> f32;
};

class MlpEncoder : public Napi::ObjectWrap<MlpEncoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MlpEncoder",
                       {InstanceMethod<&MlpEncoder::Encode>("encode"), InstanceMethod<&MlpEncoder::EncodeAsync>("encodeAsync"),
                        InstanceMethod<&MlpEncoder::Project>("project"),
                        InstanceMethod<&MlpEncoder::ProjectAsync>("projectAsync")});
  }
  explicit MlpEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MlpEncoder>(info) {
    net_ = mlp_arg(info.Env(), info[0], "ERR_ASCMH_MODEL_FORMAT");
  }

 private:
  MatrixArg features(const Napi::CallbackInfo& info, double bytes_per_row) {
    Napi::Env env = info.Env();
    MatrixArg X = matrix_arg(env, info[0], "features");
    if (X.view.cols != net_dim(net_))
      throw_coded(env, "ERR_ASCMH_SHAPE", "features have " + std::to_string(X.view.cols) +
                                              " columns, the model expects " + std::to_string(net_dim(net_)));
    require_memory(static_cast<double>(X.view.rows), bytes_per_row, "the result");
    return X;
  }
  double code_bytes() const { return words_per_code(net_bits(net_)) * 8.0; }
  double projection_bytes() const { return static_cast<double>(net_bits(net_)) * (net_single(net_) ? 4 : 8); }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MatrixArg X = features(info, code_bytes());
      auto out = Napi::Uint8Array::New(env, static_cast<size_t>(X.view.rows) * words_per_code(net_bits(net_)) * 8);
      BorrowedRows rows(X.view);
      std::visit([&](const auto& h) { mlp_encode_rows(*h, rows, reinterpret_cast<uint64_t*>(out.Data()), nullptr); }, net_);
      return out;
    });
  }

  Napi::Value EncodeAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MatrixArg X = features(info, code_bytes());
      JobTicket ticket(env);
      std::shared_ptr<RowSource> rows = rows_for_job(env, X, ticket.token());
      AnyMlp net = net_;
      const int words = words_per_code(net_bits(net_));
      return Job<std::vector<uint64_t>>::start(
          env, "ascmh:mlpEncode",
          [net, rows, words](const CancelToken& cancel) {
            std::vector<uint64_t> codes(static_cast<size_t>(rows->rows()) * words);
            std::visit([&](const auto& h) { mlp_encode_rows(*h, *rows, codes.data(), &cancel); }, net);
            return codes;
          },
          [](Napi::Env env, std::vector<uint64_t>& codes) -> Napi::Value {
            const size_t bytes = codes.size() * 8;
            return Napi::Uint8Array::New(env, bytes, move_to_js(env, std::move(codes)).ArrayBuffer(), 0);
          },
          ticket);
    });
  }

  static Projection project_rows(const AnyMlp& net, RowSource& rows, const CancelToken* cancel) {
    Projection p;
    const size_t count = static_cast<size_t>(rows.rows()) * net_bits(net);
    if (net.index() == 0) {
      p.f64.resize(count);
      mlp_project_rows(*std::get<0>(net), rows, p.f64.data(), cancel);
    } else {
      p.f32.resize(count);
      mlp_project_rows(*std::get<1>(net), rows, p.f32.data(), cancel);
    }
    return p;
  }
  static Napi::Value projection_to_js(Napi::Env env, Projection& p, bool single) {
    return single ? Napi::Value(give_to_js(env, std::move(p.f32))) : Napi::Value(give_to_js(env, std::move(p.f64)));
  }

  Napi::Value Project(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MatrixArg X = features(info, projection_bytes());
      BorrowedRows rows(X.view);
      Projection p = project_rows(net_, rows, nullptr);
      return projection_to_js(env, p, net_single(net_));
    });
  }

  Napi::Value ProjectAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MatrixArg X = features(info, projection_bytes());
      JobTicket ticket(env);
      std::shared_ptr<RowSource> rows = rows_for_job(env, X, ticket.token());
      AnyMlp net = net_;
      const bool single = net_single(net_);
      return Job<Projection>::start(
          env, "ascmh:mlpProject", [net, rows](const CancelToken& cancel) { return project_rows(net, *rows, &cancel); },
          [single](Napi::Env env, Projection& p) { return projection_to_js(env, p, single); }, ticket);
    });
  }

  AnyMlp net_;
};

}  // namespace

void InitMlpEncoder(Napi::Env env, Napi::Object exports) { exports.Set("MlpEncoder", MlpEncoder::Define(env)); }

}  // namespace ascmh
