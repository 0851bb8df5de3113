// Whether a thread-safe function still exists. At environment teardown (process exit, worker
// termination) Node closes thread-safe functions on its own, possibly before the finalizers of
// the objects that own them run; releasing one then would touch freed memory. Its finalizer
// marks it gone, and owners release it only while it is not.
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

} // namespace bmp
