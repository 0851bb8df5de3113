// Thread-safe functions at environment teardown (process exit, worker termination).
//
// Whether one still exists: Node closes thread-safe functions on its own, possibly before the
// finalizers of the objects that own them run; releasing one then would touch freed memory. Its
// finalizer marks it gone, and owners release it only while it is not.
//
// Whether its calls may still touch JavaScript: once teardown has begun, the loop may still
// deliver calls queued before, but JavaScript can no longer run, every call into it fails, and
// node-addon-api treats the failed throw that follows as fatal. Such calls do nothing instead.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>

namespace bmp {

struct TsfnLife {
    std::atomic<bool> gone{false};
};
using TsfnLifePtr = std::shared_ptr<TsfnLife>;

// The finalizer to pass when creating the function, with `new TsfnLifePtr(life)` as its data.
inline void MarkTsfnGone(Napi::Env, TsfnLifePtr *life, void *)
{
    (*life)->gone = true;
    delete life;
}

// Whether JavaScript can still run in `env`. Node checks this at the start of every Node-API call
// that may run JavaScript or throw; making an empty ArrayBuffer is one such call.
inline bool CanRunJs(napi_env env)
{
    void *data = nullptr;
    napi_value buffer = nullptr;
    return napi_create_arraybuffer(env, 0, &data, &buffer) == napi_ok;
}

} // namespace bmp
