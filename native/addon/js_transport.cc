#include "js_transport.h"

#include <chrono>
#include <functional>
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

// Main thread: call transfer(request) and route its answer back by sequence number. Written on
// raw Node-API calls, each status checked: while a worker terminates any of them can fail, and
// node-addon-api's wrappers turn such a failure into a fatal error (Error::New). A failure here
// answers the request with an error instead, which the session's wait takes as any other.
namespace {

// One pending request's way back, shared by its two promise callbacks.
struct Answer {
    std::function<void(bool ok, std::vector<uint8_t> bytes)> deliver;
};

std::string MessageOf(napi_env env, napi_value error, const char *otherwise)
{
    napi_value message = nullptr;
    napi_valuetype type = napi_undefined;
    if (error == nullptr || napi_typeof(env, error, &type) != napi_ok || type != napi_object ||
        napi_get_named_property(env, error, "message", &message) != napi_ok ||
        napi_typeof(env, message, &type) != napi_ok || type != napi_string)
        return otherwise;
    char text[256];
    size_t length = 0;
    if (napi_get_value_string_utf8(env, message, text, sizeof text, &length) != napi_ok) return otherwise;
    return std::string(text, length);
}

// A Uint8Array's bytes, or false if `value` is not one.
bool BytesOf(napi_env env, napi_value value, std::vector<uint8_t> *out)
{
    bool typed = false;
    napi_typedarray_type type = napi_int8_array;
    size_t length = 0;
    void *data = nullptr;
    if (napi_is_typedarray(env, value, &typed) != napi_ok || !typed ||
        napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array)
        return false;
    const uint8_t *bytes = static_cast<const uint8_t *>(data);
    out->assign(bytes, bytes + length);
    return true;
}

void Accept(napi_env env, napi_value value, const Answer &answer)
{
    std::vector<uint8_t> bytes;
    if (BytesOf(env, value, &bytes)) {
        answer.deliver(true, std::move(bytes));
        return;
    }
    std::string why = "the transport answered with something that is not a Uint8Array";
    answer.deliver(false, std::vector<uint8_t>(why.begin(), why.end()));
}

napi_value OnFulfilled(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1] = {nullptr};
    void *data = nullptr;
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) == napi_ok && data)
        Accept(env, argc ? argv[0] : nullptr, **static_cast<std::shared_ptr<Answer> *>(data));
    return nullptr;
}

napi_value OnRejected(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1] = {nullptr};
    void *data = nullptr;
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) == napi_ok && data) {
        std::string why = MessageOf(env, argc ? argv[0] : nullptr, "the transport failed");
        (*static_cast<std::shared_ptr<Answer> *>(data))->deliver(false, std::vector<uint8_t>(why.begin(), why.end()));
    }
    return nullptr;
}

void FreeAnswer(napi_env, void *data, void *)
{
    delete static_cast<std::shared_ptr<Answer> *>(data);
}

// A function calling `callback` with its own reference to `answer`, released with the function.
napi_value Callback(napi_env env, napi_callback callback, const std::shared_ptr<Answer> &answer)
{
    auto *held = new std::shared_ptr<Answer>(answer);
    napi_value fn = nullptr;
    if (napi_create_function(env, nullptr, 0, callback, held, &fn) != napi_ok) {
        delete held;
        return nullptr;
    }
    if (napi_add_finalizer(env, fn, held, FreeAnswer, nullptr, nullptr) != napi_ok) {
        delete held; // the function may still run: it then finds no data and does nothing
        return nullptr;
    }
    return fn;
}

} // namespace

void JsTransport::CallJs(Napi::Env env_, Napi::Function transfer_, void *, Request *request)
{
    std::unique_ptr<Request> hold(request);
    napi_env env = env_;
    if (env == nullptr || !CanRunJs(env)) return; // teardown: the session's Stop() wakes its wait
    std::shared_ptr<Shared> shared = request->shared;
    uint64_t seq = request->seq;
    auto answer = std::make_shared<Answer>();
    answer->deliver = [shared, seq](bool ok, std::vector<uint8_t> bytes) { shared->Deliver(seq, ok, std::move(bytes)); };
    auto fail = [&answer](const std::string &why) { answer->deliver(false, std::vector<uint8_t>(why.begin(), why.end())); };

    napi_value transfer = transfer_, array_buffer = nullptr, bytes = nullptr, undefined = nullptr, result = nullptr;
    void *data = nullptr;
    size_t length = request->bytes.size();
    if (napi_create_arraybuffer(env, length, &data, &array_buffer) != napi_ok ||
        napi_create_typedarray(env, napi_uint8_array, length, array_buffer, 0, &bytes) != napi_ok ||
        napi_get_undefined(env, &undefined) != napi_ok)
        return fail("JavaScript cannot run (shutting down)");
    if (length) memcpy(data, request->bytes.data(), length);
    if (napi_call_function(env, undefined, transfer, 1, &bytes, &result) != napi_ok) {
        napi_value exception = nullptr;
        bool pending = false;
        if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
            napi_get_and_clear_last_exception(env, &exception);
        return fail(MessageOf(env, exception, "the transport failed"));
    }
    bool promise = false;
    if (napi_is_promise(env, result, &promise) != napi_ok || !promise) return Accept(env, result, *answer);
    napi_value then = nullptr, handlers[2] = {Callback(env, OnFulfilled, answer), Callback(env, OnRejected, answer)};
    napi_valuetype type = napi_undefined;
    if (!handlers[0] || !handlers[1] || napi_get_named_property(env, result, "then", &then) != napi_ok ||
        napi_typeof(env, then, &type) != napi_ok || type != napi_function ||
        napi_call_function(env, result, then, 2, handlers, nullptr) != napi_ok)
        return fail("JavaScript cannot run (shutting down)");
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
