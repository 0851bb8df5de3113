// Errors thrown into JavaScript carry a stable `code` (docs/ARCHITECTURE.md, "The cores").
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

// The JavaScript error code for a core status (common/status.h), with the core's sentence for it
// in *message. A status the table does not know (a bug) gives EINTERNAL. The Session's Describe.
const char *CodeForStatus(int status, const char **message);

inline Napi::Value ThrowTypeWithCode(Napi::Env env, const char *code, const std::string &message)
{
    Napi::TypeError error = Napi::TypeError::New(env, message);
    error.Set("code", Napi::String::New(env, code));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
}

} // namespace bmp
