// Argument checks shared by the class wrappers: a wrong argument throws (a TypeError with code
// EINVAL for the wrong type, an Error with code ERANGE for a value out of range) and the function
// returns false.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "errors.h"

namespace bmp {

// `value` as an unsigned integer no larger than `max` (a number that is not an integer, or out of
// range, throws ERANGE; anything else EINVAL). `what` names it in the message.
inline bool ToU32(Napi::Env env, Napi::Value value, const char *what, uint32_t max, uint32_t *out)
{
    if (!value.IsNumber()) {
        ThrowTypeWithCode(env, "EINVAL", std::string(what) + " must be a number");
        return false;
    }
    double v = value.As<Napi::Number>().DoubleValue();
    if (!(v >= 0 && v <= max) || v != static_cast<double>(static_cast<uint64_t>(v))) {
        ThrowWithCode(env, "ERANGE", std::string(what) + " must be an integer from 0 to " + std::to_string(max));
        return false;
    }
    *out = static_cast<uint32_t>(v);
    return true;
}

// Argument `index` as an unsigned 32-bit integer, at most `max`.
inline bool ArgU32(const Napi::CallbackInfo &info, size_t index, const char *what, uint32_t *out,
                   uint32_t max = 0xFFFFFFFFu)
{
    return ToU32(info.Env(), index < info.Length() ? info[index] : info.Env().Undefined(), what, max, out);
}

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
