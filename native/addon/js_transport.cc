#include "js_transport.h"

#include <chrono>
#include <cstring>

namespace bmp {

struct JsTransport::Shared {
    std::mutex mutex;
    std::condition_variable answered;
    bool abort = false;
    bool timed_out = false;
    std::string last_error;
    struct Result {
        bool ok;
        std::vector<uint8_t> bytes; // the response, or the error message
    };
    std::map<uint64_t, Result> results; // answered, not yet collected
    std::set<uint64_t> abandoned;       // timed out: their late answers are dropped

    void Deliver(uint64_t seq, bool ok, std::vector<uint8_t> bytes)
    {
        {
            std::lock_guard<std::mutex> hold(mutex);
            if (abandoned.erase(seq)) return;
            results[seq] = Result{ok, std::move(bytes)};
        }
        answered.notify_all();
    }
};

JsTransport::JsTransport(Napi::Env env, Napi::Function transfer, unsigned in_flight, unsigned timeout_ms)
    : shared_(std::make_shared<Shared>()), timeout_ms_(timeout_ms)
{
    call_ = Napi::TypedThreadSafeFunction<void, Request, &JsTransport::CallJs>::New(
        env, transfer, "bmp-transport", 0, 1, static_cast<void *>(nullptr), &MarkTsfnGone, new TsfnLifePtr(call_life_));
    call_.Unref(env); // the session's pending job keeps the loop alive, not the bridge
    transport_.ctx = this;
    transport_.exchange = &JsTransport::Exchange;
    transport_.submit = &JsTransport::Submit;
    transport_.collect = &JsTransport::Collect;
    transport_.in_flight = in_flight;
}

JsTransport::~JsTransport()
{
    Abort();
    if (!call_life_->gone) call_.Release();
}

void JsTransport::Abort()
{
    {
        std::lock_guard<std::mutex> hold(shared_->mutex);
        shared_->abort = true;
    }
    shared_->answered.notify_all();
}

std::string JsTransport::LastError()
{
    std::lock_guard<std::mutex> hold(shared_->mutex);
    return shared_->last_error;
}

bool JsTransport::TimedOut()
{
    std::lock_guard<std::mutex> hold(shared_->mutex);
    return shared_->timed_out;
}

// Main thread: call transfer(request) and route its answer back by sequence number.
void JsTransport::CallJs(Napi::Env env, Napi::Function transfer, void *, Request *request)
{
    std::unique_ptr<Request> hold(request);
    if (env == nullptr || !CanRunJs(env)) return; // teardown: the session's Stop() wakes its wait
    std::shared_ptr<Shared> shared = request->shared;
    uint64_t seq = request->seq;
    auto fail = [shared, seq](const std::string &why) {
        std::vector<uint8_t> text(why.begin(), why.end());
        shared->Deliver(seq, false, std::move(text));
    };
    auto accept = [shared, seq, fail](Napi::Value v) {
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
            fail("the transport answered with something that is not a Uint8Array");
            return;
        }
        Napi::Uint8Array a = v.As<Napi::Uint8Array>();
        shared->Deliver(seq, true, std::vector<uint8_t>(a.Data(), a.Data() + a.ByteLength()));
    };
    Napi::Uint8Array bytes = Napi::Uint8Array::New(env, request->bytes.size());
    memcpy(bytes.Data(), request->bytes.data(), request->bytes.size());
    Napi::Value result = transfer.Call({bytes});
    if (env.IsExceptionPending()) {
        fail(env.GetAndClearPendingException().Message());
        return;
    }
    if (result.IsPromise()) {
        Napi::Object promise = result.As<Napi::Object>();
        Napi::Function on_ok = Napi::Function::New(env, [accept](const Napi::CallbackInfo &info) {
            accept(info.Length() > 0 ? info[0] : info.Env().Undefined());
        });
        Napi::Function on_error = Napi::Function::New(env, [fail](const Napi::CallbackInfo &info) {
            std::string why = "the transport failed";
            if (info.Length() > 0 && info[0].IsObject()) {
                Napi::Value m = info[0].As<Napi::Object>().Get("message");
                if (m.IsString()) why = m.As<Napi::String>().Utf8Value();
            }
            fail(why);
        });
        promise.Get("then").As<Napi::Function>().Call(promise, {on_ok, on_error});
    } else {
        accept(result);
    }
}

int JsTransport::Submit(void *ctx, const uint8_t *request, size_t length)
{
    auto *self = static_cast<JsTransport *>(ctx);
    {
        std::lock_guard<std::mutex> hold(self->shared_->mutex);
        if (self->shared_->abort) {
            self->shared_->last_error = "aborted";
            return -1;
        }
    }
    auto *r = new Request{self->next_submit_, std::vector<uint8_t>(request, request + length), self->shared_};
    if (self->call_.NonBlockingCall(r) != napi_ok) {
        delete r;
        return -1;
    }
    self->next_submit_++;
    return 0;
}

int JsTransport::Collect(void *ctx, uint8_t *response, size_t capacity)
{
    auto *self = static_cast<JsTransport *>(ctx);
    Shared &s = *self->shared_;
    if (self->next_collect_ == self->next_submit_) return -1; // nothing outstanding
    uint64_t seq = self->next_collect_++;
    std::unique_lock<std::mutex> lock(s.mutex);
    bool answered = s.answered.wait_for(lock, std::chrono::milliseconds(self->timeout_ms_),
                                        [&] { return s.abort || s.results.count(seq) != 0; });
    auto it = s.results.find(seq);
    if (it == s.results.end()) {
        s.abandoned.insert(seq);
        s.timed_out = !s.abort && !answered;
        s.last_error = s.abort ? "aborted" : "no response from the probe within the timeout";
        return -1;
    }
    Shared::Result r = std::move(it->second);
    s.results.erase(it);
    if (!r.ok) {
        s.timed_out = false;
        s.last_error.assign(r.bytes.begin(), r.bytes.end());
        return -1;
    }
    if (r.bytes.size() > capacity) {
        s.last_error = "the response is longer than a packet";
        return -1;
    }
    memcpy(response, r.bytes.data(), r.bytes.size());
    return static_cast<int>(r.bytes.size());
}

int JsTransport::Exchange(void *ctx, const uint8_t *request, size_t length, uint8_t *response, size_t capacity)
{
    if (Submit(ctx, request, length) != 0) return -1;
    return Collect(ctx, response, capacity);
}

} // namespace bmp
