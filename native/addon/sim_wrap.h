// The simulated target as a JavaScript class (used by tests, benchmarks and, later, the
// virtual probe). Synchronous: the simulator is fast and owns no I/O.
#pragma once
#include <napi.h>

#include <mutex>

extern "C" {
#include "sim_target.h"
}

namespace bmp {

// The simulated target, locked: a probe's session thread and the main thread both drive the same
// simulator, so every access holds its mutex. Converts to the target pointer (null when closed).
class SimAccess {
public:
    SimAccess(std::mutex &m, sim_target *t) : lock_(m), target_(t) {}
    operator sim_target *() const { return target_; }
    sim_target *operator->() const { return target_; }

private:
    std::unique_lock<std::mutex> lock_;
    sim_target *target_;
};

class SimWrap : public Napi::ObjectWrap<SimWrap> {
public:
    static Napi::Object Init(Napi::Env env, Napi::Object exports);
    explicit SimWrap(const Napi::CallbackInfo &info);
    ~SimWrap() override;

private:
    static Napi::Value Profiles(const Napi::CallbackInfo &info);
    Napi::Value Close(const Napi::CallbackInfo &info);
    Napi::Value DpTransfer(const Napi::CallbackInfo &info);
    Napi::Value WireOut(const Napi::CallbackInfo &info);
    Napi::Value WireIn(const Napi::CallbackInfo &info);
    Napi::Value BusRead(const Napi::CallbackInfo &info);
    Napi::Value BusWrite(const Napi::CallbackInfo &info);
    Napi::Value Load(const Napi::CallbackInfo &info);
    Napi::Value Peek(const Napi::CallbackInfo &info);
    Napi::Value Advance(const Napi::CallbackInfo &info);
    Napi::Value Reset(const Napi::CallbackInfo &info);
    Napi::Value SetNrst(const Napi::CallbackInfo &info);
    Napi::Value InjectFault(const Napi::CallbackInfo &info);
    Napi::Value SetClocks(const Napi::CallbackInfo &info);
    Napi::Value State(const Napi::CallbackInfo &info);
    Napi::Value SetOptionBytes(const Napi::CallbackInfo &info);
    Napi::Value OptionBytes(const Napi::CallbackInfo &info);

public:
    // Null after close(); every method checks it first (throws ECLOSED).
    SimAccess Target(const Napi::CallbackInfo &info);
    // For session threads: no exception, a null target when closed.
    SimAccess Access() { return SimAccess(mutex_, target_); }

private:
    std::mutex mutex_;
    sim_target *target_ = nullptr;
};

} // namespace bmp
