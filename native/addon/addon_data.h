// The addon's state for one Node.js environment (the main thread, or one worker): the classes it
// registered there. Nothing is kept process-wide, so that workers can load the addon at once; a
// reference made in one environment must never be used from another.
#pragma once
#include <napi.h>

namespace bmp {

struct AddonData {
    Napi::FunctionReference sim;
    Napi::FunctionReference dap_engine;
    Napi::FunctionReference probe;
    Napi::FunctionReference gdb_session;

    // This environment's data, made by the module's init before any class is registered.
    static AddonData &Of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

// Whether `value` is an object made by the class `cls` (one of this environment's).
inline bool IsInstance(Napi::Value value, const Napi::FunctionReference &cls)
{
    return value.IsObject() && !cls.IsEmpty() && value.As<Napi::Object>().InstanceOf(cls.Value());
}

} // namespace bmp
