// DurableIndex (index/durable_index.h) exposed to JS. prepareAdd / prepareRemove / prepareCheckpoint
// check and queue an operation and return its ticket; commit() hands the queued ones to the index's
// thread as one group; when a group is done the index's thread posts the results to the onDone
// callback given at open, as (tickets, codes, messages, results). close() runs on a libuv thread.
#include <napi.h>

#include <memory>
#include <mutex>

#include "core/codes.h"
#include "index/durable_index.h"
#include "js/args.h"
#include "js/job.h"

namespace ascmh {
bool share_index(Napi::Value view, std::shared_ptr<HammingIndex> index);
std::vector<int64_t> ids_from_js(Napi::Env env, Napi::Value value);
std::vector<uint64_t> codes_from_js(Napi::Env env, Napi::Value value, const char* name, int bits, int64_t* count);

namespace {

using Results = std::vector<DurableIndex::Done>;
struct Channel;
void deliver(Napi::Env env, Napi::Function callback, Channel* channel, Results* results);
using Tsfn = Napi::TypedThreadSafeFunction<Channel, Results, deliver>;

// The callback channel, guarded so the index's thread never calls a finalized TSFN. It keeps the
// event loop alive only while operations are in flight.
struct Channel {
  std::mutex mutex;
  bool gone = false;
  Tsfn tsfn;
  int64_t in_flight = 0;  // JS thread only
};

void deliver(Napi::Env env, Napi::Function callback, Channel* channel, Results* results) {
  std::unique_ptr<Results> owned(results);
  if (env == nullptr || callback.IsEmpty()) return;
  const size_t n = results->size();
  channel->in_flight -= static_cast<int64_t>(n);
  if (channel->in_flight <= 0) {
    channel->in_flight = 0;
    channel->tsfn.Unref(env);
  }
  auto tickets = Napi::Float64Array::New(env, n);
  auto values = Napi::Float64Array::New(env, n);
  auto firsts = Napi::BigInt64Array::New(env, n);
  Napi::Array codes = Napi::Array::New(env, n), messages = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; ++i) {
    const DurableIndex::Done& d = (*results)[i];
    tickets[i] = static_cast<double>(d.ticket);
    values[i] = static_cast<double>(d.result);
    firsts[i] = d.first_id;
    codes.Set(static_cast<uint32_t>(i), d.error_code.empty() ? env.Null() : Napi::String::New(env, d.error_code));
    messages.Set(static_cast<uint32_t>(i), Napi::String::New(env, d.error_message));
  }
  callback.Call({tickets, codes, messages, values, firsts});
}

Durability durability_arg(Napi::Env env, Napi::Value v) {
  const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (name == "fsync") return Durability::fsync;
  if (name == "os") return Durability::os;
  if (name == "none") return Durability::none;
  throw_coded(env, "ERR_ASCMH_OPTION", "durability must be 'fsync', 'os' or 'none'");
}

class DurableWrap : public Napi::ObjectWrap<DurableWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DurableIndex",
                       {InstanceMethod<&DurableWrap::PrepareAdd>("prepareAdd"),
                        InstanceMethod<&DurableWrap::PrepareRemove>("prepareRemove"),
                        InstanceMethod<&DurableWrap::PrepareCheckpoint>("prepareCheckpoint"),
                        InstanceMethod<&DurableWrap::Commit>("commit"), InstanceMethod<&DurableWrap::Close>("close"),
                        InstanceMethod<&DurableWrap::Share>("share"), InstanceMethod<&DurableWrap::Stats>("stats"),
                        InstanceAccessor<&DurableWrap::Bits>("bits")});
  }

  // new DurableIndex(dir, durability, bits (0 = open only), onDone)
  explicit DurableWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DurableWrap>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&] {
      const std::string dir = path_arg(env, info[0], "index directory");
      const Durability durability = durability_arg(env, info[1]);
      const int bits = static_cast<int>(integer_arg(env, info[2], "ERR_ASCMH_BITS", "bits", 0, 1024));
      if (!info[3].IsFunction()) throw_coded(env, "ERR_ASCMH_OPTION", "onDone must be a function");
      channel_ = std::make_shared<Channel>();
      auto channel = channel_;
      channel_->tsfn = Tsfn::New(env, info[3].As<Napi::Function>(), "ascmh:durable", 0, 1, channel_.get(),
                                 [channel](Napi::Env, void*, Channel*) {
                                   std::lock_guard<std::mutex> lock(channel->mutex);
                                   channel->gone = true;
                                 });
      // The index's thread must not keep the process alive by itself; pending operations do.
      channel_->tsfn.Unref(env);
      try {
        index_ = std::make_unique<DurableIndex>(dir, durability, bits, [channel](Results done) {
          std::lock_guard<std::mutex> lock(channel->mutex);
          if (channel->gone) return;
          channel->tsfn.NonBlockingCall(new Results(std::move(done)));
        });
      } catch (...) {
        channel_->tsfn.Release();
        throw;
      }
      return 0;
    });
  }

  ~DurableWrap() override { shutdown(); }

 private:
  DurableIndex& open_index(Napi::Env env) {
    if (!index_) throw_coded(env, "ERR_ASCMH_INDEX_CLOSED", "the index is closed");
    return *index_;
  }

  Napi::Value PrepareAdd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      DurableIndex& d = open_index(env);
      int64_t count = 0;
      std::vector<uint64_t> codes = codes_from_js(env, info[0], "codes", d.bits(), &count);
      std::vector<int64_t> ids;
      const bool explicit_ids = info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull();
      if (explicit_ids) {
        ids = ids_from_js(env, info[1]);
        if (static_cast<int64_t>(ids.size()) != count)
          throw_coded(env, "ERR_ASCMH_IDS_LENGTH", std::to_string(ids.size()) + " ids for " + std::to_string(count) + " codes");
      }
      return Napi::Number::New(env, static_cast<double>(d.prepare_add(std::move(codes), count, explicit_ids ? ids.data() : nullptr)));
    });
  }

  Napi::Value PrepareRemove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      DurableIndex& d = open_index(env);
      const std::vector<int64_t> ids = ids_from_js(env, info[0]);
      return Napi::Number::New(env, static_cast<double>(d.prepare_remove(ids.data(), static_cast<int64_t>(ids.size()))));
    });
  }

  Napi::Value PrepareCheckpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      return Napi::Number::New(env, static_cast<double>(open_index(env).prepare_checkpoint()));
    });
  }

  Napi::Value Commit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (index_) {
      const size_t n = index_->commit();
      if (n > 0) {
        if (channel_->in_flight == 0) channel_->tsfn.Ref(env);  // results are on their way
        channel_->in_flight += static_cast<int64_t>(n);
      }
    }
    return env.Undefined();
  }

  Napi::Value Share(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!share_index(info[0], open_index(env).index())) throw_coded(env, "ERR_ASCMH_OPTION", "share needs a native HammingIndex");
    return env.Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const DurableIndex::Stats s = open_index(env).stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("lastSequence", static_cast<double>(s.last_seq));
    o.Set("snapshotSequence", static_cast<double>(s.snapshot_seq));
    o.Set("logBytes", static_cast<double>(s.log_bytes));
    o.Set("replayed", static_cast<double>(s.replayed));
    o.Set("pending", static_cast<double>(s.pending));
    o.Set("logWrites", static_cast<double>(s.log_writes));
    return o;
  }

  Napi::Value Bits(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), open_index(info.Env()).bits()); }

  // close(): finishes queued work and releases the lock, on a libuv thread (it may wait for fsync).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      std::shared_ptr<DurableIndex> index(std::move(index_));
      std::shared_ptr<Channel> channel = channel_;
      JobTicket ticket(env);
      return Job<int>::start(
          env, "ascmh:durable-close",
          [index](const CancelToken&) {
            if (index) index->close();
            return 0;
          },
          [channel](Napi::Env e, int&) -> Napi::Value {
            std::lock_guard<std::mutex> lock(channel->mutex);
            if (!channel->gone) {
              channel->gone = true;
              channel->tsfn.Release();
            }
            return e.Undefined();
          },
          ticket);
    });
  }

  void shutdown() {
    if (index_) index_->close();
    index_.reset();
    if (channel_) {
      std::lock_guard<std::mutex> lock(channel_->mutex);
      if (!channel_->gone) {
        channel_->gone = true;
        channel_->tsfn.Release();
      }
    }
  }

  std::shared_ptr<DurableIndex> index_;
  std::shared_ptr<Channel> channel_;
};

}  // namespace

void InitDurable(Napi::Env env, Napi::Object exports) { exports.Set("DurableIndex", DurableWrap::Define(env)); }

}  // namespace ascmh
