#include "session.h"

namespace bmp {

Outcome Outcome::Ok(std::function<Napi::Value(Napi::Env)> v)
{
    Outcome o;
    o.value = std::move(v);
    return o;
}

Outcome Outcome::Status(int status)
{
    Outcome o;
    o.status = status;
    return o;
}

Outcome Outcome::Error(const char *code, std::string message)
{
    Outcome o;
    o.status = -1000;
    o.code = code;
    o.message = std::move(message);
    return o;
}

Session::Session(Napi::Env env, Napi::Object owner, Describe describe) : describe_(describe), env_(env)
{
    settle_ = Napi::TypedThreadSafeFunction<void, Done, &Session::Settle>::New(
        env, "bmp-session", 0, 1, static_cast<void *>(nullptr), &MarkTsfnGone, new TsfnLifePtr(settle_life_));
    settle_.Unref(env); // only pending jobs keep the event loop alive
    owner_ = Napi::Weak(owner);
    napi_add_env_cleanup_hook(env, reinterpret_cast<void (*)(void *)>(&Session::Cleanup), this);
    thread_ = std::thread([this] { Loop(); });
}

Session::~Session()
{
    Stop();
    napi_remove_env_cleanup_hook(env_, reinterpret_cast<void (*)(void *)>(&Session::Cleanup), this);
}

void Session::Cleanup(Session *session)
{
    session->Stop();
}

void Session::Stop()
{
    std::deque<std::unique_ptr<Job>> dropped;
    {
        std::lock_guard<std::mutex> hold(mutex_);
        if (stopped_) return;
        stopped_ = true;
        abort_ = true;
        dropped.swap(queue_);
    }
    wake_thread_.notify_all();
    if (wake_) wake_();
    if (thread_.joinable()) thread_.join();
    // Calls that never ran reject with ECLOSED (unless the environment itself is going away).
    for (auto &job : dropped) {
        Done *done = new Done{job->deferred, Outcome::Error("ECLOSED", "the probe was closed"), this};
        if (settle_.NonBlockingCall(done) != napi_ok) delete done;
    }
    if (!settle_life_->gone) settle_.Release();
}

Napi::Promise Session::Run(Napi::Env env, Work work)
{
    auto deferred = Napi::Promise::Deferred::New(env);
    Napi::Promise promise = deferred.Promise();
    bool stopped;
    {
        std::lock_guard<std::mutex> hold(mutex_);
        stopped = stopped_;
        if (!stopped) queue_.push_back(std::unique_ptr<Job>(new Job{std::move(work), deferred}));
    }
    if (stopped) {
        Napi::Error e = Napi::Error::New(env, "the probe is closed");
        e.Set("code", "ECLOSED");
        deferred.Reject(e.Value());
        return promise;
    }
    if (pending_++ == 0) {
        settle_.Ref(env);
        owner_.Ref();
    }
    wake_thread_.notify_one();
    return promise;
}

void Session::Loop()
{
    for (;;) {
        std::unique_ptr<Job> job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_thread_.wait(lock, [this] { return abort_ || !queue_.empty(); });
            if (abort_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        Outcome outcome = job->work();
        Done *done = new Done{job->deferred, std::move(outcome), this};
        if (settle_.NonBlockingCall(done) != napi_ok) delete done; // the environment is closing
    }
}

void Session::Settle(Napi::Env env, Napi::Function, void *, Done *done)
{
    std::unique_ptr<Done> hold(done);
    if (env == nullptr) return; // finalizing: nothing to settle
    Session *s = done->session;
    const Outcome &o = done->outcome;
    if (!CanRunJs(env)) {
        // The environment is going away: the Promise can no longer settle.
    } else if (o.status == 0) {
        Napi::Value v = o.value ? o.value(env) : env.Undefined();
        if (env.IsExceptionPending()) done->deferred.Reject(env.GetAndClearPendingException().Value());
        else done->deferred.Resolve(v);
    } else {
        const char *message = o.message.c_str();
        const char *code = o.code.empty() ? s->describe_(o.status, &message) : o.code.c_str();
        Napi::Error e = Napi::Error::New(env, message);
        e.Set("code", code);
        e.Set("status", Napi::Number::New(env, o.status));
        done->deferred.Reject(e.Value());
    }
    if (--s->pending_ == 0) {
        s->settle_.Unref(env);
        s->owner_.Unref();
    }
}

} // namespace bmp
