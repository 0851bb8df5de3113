// A probe session's own native thread (docs/ARCHITECTURE.md, "The addon and the threads"). The cores are
// synchronous; JavaScript never waits for them. Each call is queued as a job, runs on the
// session thread, and settles a Promise on the main thread through a thread-safe function.
//
// Shutdown never hangs: Stop() (from the owner's finalizer, or from the environment's cleanup
// hook at process exit or worker termination) raises the abort flag, wakes whatever waits on it
// (the transport bridge), drops queued jobs and joins the thread.
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tsfn_life.h"

namespace bmp {

// What a job produced: a status (0, or a core error code) and, on success, a function that
// builds the JavaScript value on the main thread.
struct Outcome {
    int status = 0;
    std::string code;     // set for errors that are not core statuses (ECLOSED, EINVAL, ...)
    std::string message;
    std::function<Napi::Value(Napi::Env)> value;

    static Outcome Ok(std::function<Napi::Value(Napi::Env)> v = nullptr);
    static Outcome Status(int status); // 0 → Ok(); else the core's error
    static Outcome Error(const char *code, std::string message);
};

class Session {
public:
    using Work = std::function<Outcome()>;
    // Maps a core status to an error code and message.
    using Describe = const char *(*)(int status, const char **message);

    // `owner` is the JavaScript object that owns the session: kept alive while jobs are pending.
    Session(Napi::Env env, Napi::Object owner, Describe describe);
    ~Session();
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    // Queues `work`; the Promise settles with its outcome. Main thread only.
    Napi::Promise Run(Napi::Env env, Work work);
    // Aborts and joins; idempotent. Main thread (or the cleanup hook).
    void Stop();
    bool Aborting() const { return abort_.load(); }
    // Called with the abort flag raised, before the join: wake anything the thread waits on.
    void OnAbort(std::function<void()> wake) { wake_ = std::move(wake); }

private:
    struct Job {
        Work work;
        Napi::Promise::Deferred deferred;
    };
    struct Done {
        Napi::Promise::Deferred deferred;
        Outcome outcome;
        Session *session;
    };
    void Loop();
    static void Settle(Napi::Env env, Napi::Function, void *, Done *done);
    static void Cleanup(Session *session);

    Describe describe_;
    std::mutex mutex_;
    std::condition_variable wake_thread_;
    std::deque<std::unique_ptr<Job>> queue_;
    std::atomic<bool> abort_{false};
    bool stopped_ = false;
    unsigned pending_ = 0; // main thread only: jobs not yet settled (keeps the loop alive)
    std::function<void()> wake_;
    Napi::TypedThreadSafeFunction<void, Done, &Session::Settle> settle_;
    TsfnLifePtr settle_life_ = std::make_shared<TsfnLife>();
    Napi::ObjectReference owner_; // weak; strong while jobs are pending
    napi_env env_;
    std::thread thread_;
};

} // namespace bmp
