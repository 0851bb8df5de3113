// Argument checks shared by the class wrappers: a wrong argument throws a TypeError with code
// EINVAL and the function returns false.
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "errors.h"

namespace bmp {

// Argument `index` as a Uint8Array (a view: valid during the call).
inline bool ArgBytes(const Napi::CallbackInfo &info, size_t index, const char *what, Napi::Uint8Array *out)
{
    if (info.Length() <= index || !info[index].IsTypedArray() ||
        info[index].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        ThrowTypeWithCode(info.Env(), "EINVAL", std::string(what) + " must be a Uint8Array");
        return false;
    }
    *out = info[index].As<Napi::Uint8Array>();
    return true;
}

// The same, copied: for a session thread that uses the bytes after the call has returned.
inline bool ArgBytesCopy(const Napi::CallbackInfo &info, size_t index, const char *what,
                         std::shared_ptr<std::vector<uint8_t>> *out)
{
    Napi::Uint8Array view;
    if (!ArgBytes(info, index, what, &view)) return false;
    *out = std::make_shared<std::vector<uint8_t>>(view.Data(), view.Data() + view.ByteLength());
    return true;
}

} // namespace bmp
