// Errors thrown into JavaScript carry a stable `code` (DESIGN.md: errors carry codes).
#pragma once
#include <napi.h>

namespace bmp {

// Throws a JS Error with `code` set; returns an undefined value for convenient `return`.
inline Napi::Value ThrowWithCode(Napi::Env env, const char *code, const std::string &message)
{
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, code));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
}

inline Napi::Value ThrowTypeWithCode(Napi::Env env, const char *code, const std::string &message)
{
    Napi::TypeError error = Napi::TypeError::New(env, message);
    error.Set("code", Napi::String::New(env, code));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
}

} // namespace bmp
