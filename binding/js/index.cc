// HammingIndex: the native exact Hamming index class (index/hamming_index.h) exposed to JS.
// Every argument is validated (and queries copied) before the index is touched, so a rejected
// call changes nothing and an async search reads no JS memory.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "core/codes.h"
#include "core/memory_limit.h"
#include "js/args.h"
#include "js/job.h"
#include "js/projection_args.h"
#include "index/asymmetric_search.h"
#include "index/hamming_index.h"
#include "index/search.h"
#include "search/kernels.h"

namespace ascmh {
bool share_index(Napi::Value view, std::shared_ptr<HammingIndex> index);
namespace {

// { count, bits, data: Uint8Array } with bits equal to the index's: the bytes of count codes, checked
// to be there. They are read in place, so only by a call on the JS thread.
const uint8_t* code_bytes_in(Napi::Env env, Napi::Value value, const char* name, int bits, int64_t* count) {
  if (!value.IsObject() || value.IsTypedArray())
    throw_coded(env, "ERR_ASCMH_CODES", std::string(name) + " must be { count, bits, data: Uint8Array }");
  Napi::Object o = value.As<Napi::Object>();
  *count = integer_arg(env, o.Get("count"), "ERR_ASCMH_CODES", std::string(name) + ".count", 0, kMaxSafeInteger);
  const int64_t b = integer_arg(env, o.Get("bits"), "ERR_ASCMH_BITS_MISMATCH", std::string(name) + ".bits", 0,
                                kMaxSafeInteger);
  if (b != bits)
    throw_coded(env, "ERR_ASCMH_BITS_MISMATCH",
                std::string(name) + " has " + std::to_string(b) + "-bit codes, the index holds " + std::to_string(bits));
  Napi::Value data = o.Get("data");
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + ".data must be a Uint8Array");
  auto bytes = data.As<Napi::Uint8Array>();
  const double needed = static_cast<double>(*count) * words_per_code(bits) * 8;
  if (static_cast<double>(bytes.ByteLength()) < needed)
    throw_coded(env, "ERR_ASCMH_CODES_LENGTH", std::string(name) + ".data holds " + std::to_string(bytes.ByteLength()) +
                                                   " bytes, " + std::to_string(static_cast<int64_t>(needed)) + " needed");
  return bytes.Data();
}

}  // namespace

// The same codes copied into 64-bit words with unused high bits cleared.
std::vector<uint64_t> codes_from_js(Napi::Env env, Napi::Value value, const char* name, int bits, int64_t* count) {
  if (!value.IsObject() || value.IsTypedArray())
    throw_coded(env, "ERR_ASCMH_CODES", std::string(name) + " must be { count, bits, data: Uint8Array }");
  Napi::Object o = value.As<Napi::Object>();
  *count = integer_arg(env, o.Get("count"), "ERR_ASCMH_CODES", std::string(name) + ".count", 0, kMaxSafeInteger);
  const int64_t b = integer_arg(env, o.Get("bits"), "ERR_ASCMH_BITS_MISMATCH", std::string(name) + ".bits", 0,
                                kMaxSafeInteger);
  if (b != bits)
    throw_coded(env, "ERR_ASCMH_BITS_MISMATCH",
                std::string(name) + " has " + std::to_string(b) + "-bit codes, the index holds " + std::to_string(bits));
  Napi::Value data = o.Get("data");
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_coded(env, "ERR_ASCMH_DTYPE", std::string(name) + ".data must be a Uint8Array");
  return codes_arg(env, data, (std::string(name) + ".data").c_str(), *count, bits);
}

namespace {

int64_t id_value(Napi::Env env, Napi::Value v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    const int64_t id = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw_coded(env, "ERR_ASCMH_ID_RANGE", "ids must fit in a signed 64-bit integer");
    return id;
  }
  if (v.IsNumber()) return integer_arg(env, v, "ERR_ASCMH_ID_RANGE", "an id", -kMaxSafeInteger, kMaxSafeInteger);
  throw_coded(env, "ERR_ASCMH_IDS_TYPE", "an id must be a safe integer number or a bigint");
}

}  // namespace

// BigInt64Array, BigUint64Array, Int32Array, Uint32Array, Float64Array (integers) or an array of
// numbers / bigints.
std::vector<int64_t> ids_from_js(Napi::Env env, Napi::Value value) {
  std::vector<int64_t> ids;
  if (value.IsTypedArray()) {
    auto t = value.As<Napi::TypedArray>();
    const size_t n = t.ElementLength();
    ids.resize(n);
    switch (t.TypedArrayType()) {
      case napi_bigint64_array: {
        auto a = value.As<Napi::BigInt64Array>();
        std::copy(a.Data(), a.Data() + n, ids.begin());
        break;
      }
      case napi_biguint64_array: {
        auto a = value.As<Napi::BigUint64Array>();
        for (size_t i = 0; i < n; ++i) {
          if (a[i] > static_cast<uint64_t>(INT64_MAX))
            throw_coded(env, "ERR_ASCMH_ID_RANGE", "ids must fit in a signed 64-bit integer");
          ids[i] = static_cast<int64_t>(a[i]);
        }
        break;
      }
      case napi_int32_array: {
        auto a = value.As<Napi::Int32Array>();
        std::copy(a.Data(), a.Data() + n, ids.begin());
        break;
      }
      case napi_uint32_array: {
        auto a = value.As<Napi::Uint32Array>();
        std::copy(a.Data(), a.Data() + n, ids.begin());
        break;
      }
      case napi_float64_array: {
        auto a = value.As<Napi::Float64Array>();
        for (size_t i = 0; i < n; ++i) {
          if (!(std::floor(a[i]) == a[i] && std::fabs(a[i]) <= kMaxSafeInteger))
            throw_coded(env, "ERR_ASCMH_ID_RANGE", "ids must be safe integers");
          ids[i] = static_cast<int64_t>(a[i]);
        }
        break;
      }
      default:
        throw_coded(env, "ERR_ASCMH_IDS_TYPE",
                    "ids must be a BigInt64Array, BigUint64Array, Int32Array, Uint32Array, Float64Array or array");
    }
    return ids;
  }
  if (value.IsArray()) {
    // An array's length says nothing about what it holds (new Array(2 ** 32 - 1) is empty): grow
    // as elements are read, and refuse a length the id list could not take.
    auto a = value.As<Napi::Array>();
    const uint32_t n = a.Length();
    require_memory(n, sizeof(int64_t), "the id list");
    ids.reserve(std::min<uint32_t>(n, 1u << 16));
    for (uint32_t i = 0; i < n; ++i) ids.push_back(id_value(env, a.Get(i)));
    return ids;
  }
  throw_coded(env, "ERR_ASCMH_IDS_TYPE",
              "ids must be a BigInt64Array, BigUint64Array, Int32Array, Uint32Array, Float64Array or array");
}

namespace {

int threads_in(Napi::Env env, Napi::Object o) {
  return static_cast<int>(integer_option(env, o, "threads", 0, "ERR_ASCMH_OPTION", 0, 4096));
}

struct SearchJob {
  std::shared_ptr<const Snapshot> snapshot;
  std::vector<uint64_t> queries;
  int64_t count = 0;
  bool radius = false;
  int64_t k = 0, limit = 0;
  int max_dist = 0, threads = 0;
  SearchOutput run(const CancelToken* cancel) const {
    return radius ? search_radius(*snapshot, queries.data(), count, max_dist, limit, threads, cancel)
                  : search_topk(*snapshot, queries.data(), count, k, threads, cancel);
  }
};

SearchJob parse_search(const Napi::CallbackInfo& info, const std::shared_ptr<const Snapshot>& s, bool radius) {
  Napi::Env env = info.Env();
  SearchJob job;
  job.snapshot = s;
  job.radius = radius;
  job.queries = codes_from_js(env, info[0], "queries", s->bits, &job.count);
  Napi::Object o = object_arg(env, info[1], "ERR_ASCMH_OPTION", "search options");
  if (radius) {
    job.max_dist = static_cast<int>(integer_arg(env, o.Get("radius"), "ERR_ASCMH_RADIUS", "radius", 0, s->bits));
    job.limit = integer_option(env, o, "limit", 0, "ERR_ASCMH_LIMIT", 1, kMaxSafeInteger);
  } else {
    job.k = integer_arg(env, o.Get("k"), "ERR_ASCMH_K", "k", 1, kMaxSafeInteger);
    // The answer holds count * min(k, size) ids and distances.
    require_memory(static_cast<double>(job.count) * static_cast<double>(std::min<int64_t>(job.k, s->live)), 10,
                   "the search results");
  }
  job.threads = threads_in(env, o);
  return job;
}

Napi::Object output_js(Napi::Env env, SearchOutput& r, bool radius) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", static_cast<double>(r.queries));
  out.Set("ids", give_to_js(env, std::move(r.ids)));
  out.Set("distances", give_to_js(env, std::move(r.distances)));
  if (radius) {
    std::vector<double> offsets(r.offsets.begin(), r.offsets.end());
    out.Set("offsets", give_to_js(env, std::move(offsets)));
  } else {
    out.Set("k", static_cast<double>(r.k));
  }
  return out;
}

// An asymmetric search: the projections copied (and checked) at call time.
struct AsymmetricJob {
  std::shared_ptr<const Snapshot> snapshot;
  std::vector<double> projections;
  AsymmetricQuery query;
  AsymmetricOutput run(const CancelToken* cancel) const { return search_asymmetric(*snapshot, query, cancel); }
};

std::shared_ptr<AsymmetricJob> parse_asymmetric(const Napi::CallbackInfo& info, const std::shared_ptr<const Snapshot>& s) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<AsymmetricJob>();
  job->snapshot = s;
  AsymmetricQuery& q = job->query;
  job->projections = projections_arg(env, info[0], "projections", s->bits, &q.count);
  q.projections = job->projections.data();
  Napi::Object o = object_arg(env, info[1], "ERR_ASCMH_OPTION", "search options");
  q.k = integer_arg(env, o.Get("k"), "ERR_ASCMH_K", "k", 1, kMaxSafeInteger);
  q.rerank = integer_option(env, o, "rerank", 0, "ERR_ASCMH_RERANK", 1, kMaxSafeInteger);
  if (q.rerank > 0 && q.rerank < q.k)
    throw_coded(env, "ERR_ASCMH_RERANK", "rerank (" + std::to_string(q.rerank) + ") must be at least k (" + std::to_string(q.k) + ")");
  Napi::Value threshold = o.Get("threshold");
  const std::string rule = threshold.IsString() ? threshold.As<Napi::String>().Utf8Value() : threshold.IsUndefined() ? "nonnegative" : "";
  if (rule != "nonnegative" && rule != "positive")
    throw_coded(env, "ERR_ASCMH_OPTION", "threshold must be 'nonnegative' or 'positive'");
  q.strict = rule == "positive";
  q.threads = threads_in(env, o);
  // The answer: an id and a score per result; a re-ranking also holds its candidates.
  const double live = static_cast<double>(s->live);
  require_memory(static_cast<double>(q.count) * std::min(static_cast<double>(q.k), live), 12, "the search results");
  if (q.rerank > 0)
    require_memory(static_cast<double>(q.count) * std::min(static_cast<double>(q.rerank), live), 10 + 12,
                   "the re-ranking candidates");
  return job;
}

Napi::Object asymmetric_js(Napi::Env env, AsymmetricOutput& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", static_cast<double>(r.queries));
  out.Set("k", static_cast<double>(r.k));
  out.Set("ids", give_to_js(env, std::move(r.ids)));
  out.Set("scores", give_to_js(env, std::move(r.scores)));
  return out;
}

class IndexWrap : public Napi::ObjectWrap<IndexWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "HammingIndex",
                       {InstanceMethod<&IndexWrap::Add>("add"), InstanceMethod<&IndexWrap::Remove>("remove"),
                        InstanceMethod<&IndexWrap::Get>("get"), InstanceMethod<&IndexWrap::Search>("search"),
                        InstanceMethod<&IndexWrap::SearchAsync>("searchAsync"),
                        InstanceMethod<&IndexWrap::SearchRadius>("searchRadius"),
                        InstanceMethod<&IndexWrap::SearchRadiusAsync>("searchRadiusAsync"),
                        InstanceMethod<&IndexWrap::SearchAsymmetric>("searchAsymmetric"),
                        InstanceMethod<&IndexWrap::SearchAsymmetricAsync>("searchAsymmetricAsync"),
                        InstanceMethod<&IndexWrap::Save>("save"), InstanceMethod<&IndexWrap::Load>("load"),
                        InstanceMethod<&IndexWrap::OpenMapped>("openMapped"),
                        InstanceMethod<&IndexWrap::OwnedBytes>("ownedBytes"),
                        InstanceMethod<&IndexWrap::SetReadonly>("setReadonly"),
                        InstanceAccessor<&IndexWrap::Size>("size"), InstanceAccessor<&IndexWrap::Bits>("bits")});
  }

  explicit IndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<IndexWrap>(info) {
    const int bits = static_cast<int>(integer_arg(info.Env(), info[0], "ERR_ASCMH_BITS", "bits", 1, 1024));
    index_ = std::make_shared<HammingIndex>(bits);
    napi_type_tag_object(info.Env(), info.This(), &kTag);
  }

  // Serves searches of an index another object writes (a durable index): add, remove, load and
  // openMapped are refused.
  void share(std::shared_ptr<HammingIndex> index) {
    index_ = std::move(index);
    readonly_ = true;
  }
  // The IndexWrap behind v, or null when v is anything else (the tag proves what it wraps).
  static IndexWrap* of(Napi::Value v) {
    bool tagged = false;
    if (!v.IsObject() || napi_check_object_type_tag(v.Env(), v, &kTag, &tagged) != napi_ok || !tagged) return nullptr;
    return Napi::ObjectWrap<IndexWrap>::Unwrap(v.As<Napi::Object>());
  }
  static constexpr napi_type_tag kTag = {0x61736d68696e6478ull, 0x48616d6d696e6721ull};

 private:
  void writable(Napi::Env env) {
    if (readonly_) throw_coded(env, "ERR_ASCMH_READONLY", "this index is read-only (opened read-only, or written through its durable index)");
  }

  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    writable(env);
    return guarded(env, [&] { return add(info); });
  }
  Napi::Value add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t count = 0;
    const uint8_t* codes = code_bytes_in(env, info[0], "codes", index_->bits(), &count);
    std::vector<int64_t> ids;
    const bool explicit_ids = info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull();
    if (explicit_ids) {
      ids = ids_from_js(env, info[1]);
      if (static_cast<int64_t>(ids.size()) != count)
        throw_coded(env, "ERR_ASCMH_IDS_LENGTH",
                    std::to_string(ids.size()) + " ids for " + std::to_string(count) + " codes");
    }
    index_->add(codes, count, explicit_ids ? ids.data() : nullptr);
    return env.Undefined();
  }

  Napi::Value Remove(const Napi::CallbackInfo& info) {
    writable(info.Env());
    return guarded(info.Env(), [&]() -> Napi::Value {
      auto ids = ids_from_js(info.Env(), info[0]);
      return Napi::Number::New(info.Env(),
                               static_cast<double>(index_->remove(ids.data(), static_cast<int64_t>(ids.size()))));
    });
  }

  Napi::Value Get(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&] { return get(info); });
  }
  Napi::Value get(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int64_t id = id_value(env, info[0]);
    const int words = words_per_code(index_->bits());
    std::vector<uint64_t> code(static_cast<size_t>(words));
    if (!index_->get(id, code.data())) return env.Null();
    auto out = Napi::Uint8Array::New(env, static_cast<size_t>(words) * 8);
    std::memcpy(out.Data(), code.data(), static_cast<size_t>(words) * 8);
    return out;
  }

  Napi::Value Search(const Napi::CallbackInfo& info) { return search_now(info, false); }
  Napi::Value SearchRadius(const Napi::CallbackInfo& info) { return search_now(info, true); }
  Napi::Value SearchAsync(const Napi::CallbackInfo& info) { return queue(info, false); }
  Napi::Value SearchRadiusAsync(const Napi::CallbackInfo& info) { return queue(info, true); }

  Napi::Value search_now(const Napi::CallbackInfo& info, bool radius) {
    return guarded(info.Env(), [&] {
      SearchJob job = parse_search(info, index_->snapshot(), radius);
      SearchOutput r = job.run(nullptr);
      return output_js(info.Env(), r, radius);
    });
  }

  Napi::Value queue(const Napi::CallbackInfo& info, bool radius) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      // The snapshot is taken here, on the calling thread: the search sees the index as of this call.
      auto job = std::make_shared<SearchJob>(parse_search(info, index_->snapshot(), radius));
      JobTicket ticket(env);
      return Job<SearchOutput>::start(
          env, "ascmh:search", [job](const CancelToken& cancel) { return job->run(&cancel); },
          [radius](Napi::Env e, SearchOutput& r) -> Napi::Value { return output_js(e, r, radius); }, ticket);
    });
  }

  Napi::Value SearchAsymmetric(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&] {
      auto job = parse_asymmetric(info, index_->snapshot());
      AsymmetricOutput r = job->run(nullptr);
      return asymmetric_js(info.Env(), r);
    });
  }

  Napi::Value SearchAsymmetricAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      auto job = parse_asymmetric(info, index_->snapshot());
      JobTicket ticket(env);
      return Job<AsymmetricOutput>::start(
          env, "ascmh:search", [job](const CancelToken& cancel) { return job->run(&cancel); },
          [](Napi::Env e, AsymmetricOutput& r) -> Napi::Value { return asymmetric_js(e, r); }, ticket);
    });
  }

  Napi::Value Save(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&] {
      index_->save(path_arg(env, info[0], "path"));
      return env.Undefined();
    });
  }

  // Replaces the whole content (bits included) with the file's; on any error nothing changes.
  Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    writable(env);
    return guarded(env, [&] {
      index_ = HammingIndex::load(path_arg(env, info[0], "path"));
      return env.Undefined();
    });
  }

  // As Load, but maps a version 2 file instead of reading it.
  Napi::Value OpenMapped(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    writable(env);
    return guarded(env, [&] {
      index_ = HammingIndex::open_mapped(path_arg(env, info[0], "path"));
      return env.Undefined();
    });
  }

  Napi::Value SetReadonly(const Napi::CallbackInfo& info) {
    readonly_ = true;
    return info.Env().Undefined();
  }

  Napi::Value OwnedBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(index_->owned_bytes()));
  }

  Napi::Value Size(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(index_->snapshot()->live));
  }
  Napi::Value Bits(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), index_->bits()); }

  std::shared_ptr<HammingIndex> index_;
  bool readonly_ = false;
};

}  // namespace

// For js/durable.cc: makes `view` (a native HammingIndex object) serve searches of `index`.
bool share_index(Napi::Value view, std::shared_ptr<HammingIndex> index) {
  IndexWrap* w = IndexWrap::of(view);
  if (!w) return false;
  w->share(std::move(index));
  return true;
}

void InitIndex(Napi::Env env, Napi::Object exports) {
  exports.Set("HammingIndex", IndexWrap::Define(env));
  exports.Set("hammingKernel", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::String::New(info.Env(), hamming_kernel_name());
  }, "hammingKernel"));
  // Test hook: _setHammingKernel("popcnt" | "generic" | "avx2") -> whether it was applied.
  exports.Set("_setHammingKernel", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    const bool ok = info[0].IsString() && set_hamming_kernel(info[0].As<Napi::String>().Utf8Value());
    return Napi::Boolean::New(info.Env(), ok);
  }, "_setHammingKernel"));
}

}  // namespace ascmh
