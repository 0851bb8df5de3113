// The CMSIS-DAP engine on a simulated target, as a JavaScript class: the heart of the virtual
// probe. Synchronous, in-process: the simulator needs no thread hop (docs/ARCHITECTURE.md, "The addon and the threads").
#pragma once
#include <napi.h>

extern "C" {
#include "dap/dap.h"
}

namespace bmp {

class DapWrap : public Napi::ObjectWrap<DapWrap> {
public:
    static Napi::Object Init(Napi::Env env, Napi::Object exports);
    explicit DapWrap(const Napi::CallbackInfo &info);

private:
    Napi::Value Execute(const Napi::CallbackInfo &info);
    Napi::Value Abort(const Napi::CallbackInfo &info);
    Napi::Value PacketSize(const Napi::CallbackInfo &info);

    Napi::ObjectReference sim_; // keeps the Sim alive while the engine exists
    swd_phy phy_{};
    dap_engine engine_{};
    bool bound_ = false;
};

} // namespace bmp
