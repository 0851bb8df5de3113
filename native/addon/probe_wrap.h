// A probe on a simulated target: the target layer (ADIv5, Cortex-M) over either link — swd_link
// on the simulated wire, or cmsis_dap_link through the CMSIS-DAP engine in process (the virtual
// probe). In-process and synchronous: no thread hop (DESIGN.md "Threads and I/O").
#pragma once
#include <napi.h>

extern "C" {
#include "dap/dap.h"
#include "link/cmsis_dap_link.h"
#include "link/swd_link.h"
#include "target/cortexm.h"
#include "target/description.h"
#include "target/parts.h"
}

namespace bmp {

class ProbeWrap : public Napi::ObjectWrap<ProbeWrap> {
public:
    static Napi::Object Init(Napi::Env env, Napi::Object exports);
    explicit ProbeWrap(const Napi::CallbackInfo &info);

private:
    Napi::Value Connect(const Napi::CallbackInfo &info);
    Napi::Value Attach(const Napi::CallbackInfo &info);
    Napi::Value Detach(const Napi::CallbackInfo &info);
    Napi::Value ReadMemory(const Napi::CallbackInfo &info);
    Napi::Value WriteMemory(const Napi::CallbackInfo &info);
    Napi::Value Halt(const Napi::CallbackInfo &info);
    Napi::Value Resume(const Napi::CallbackInfo &info);
    Napi::Value Step(const Napi::CallbackInfo &info);
    Napi::Value Reset(const Napi::CallbackInfo &info);
    Napi::Value HaltReason(const Napi::CallbackInfo &info);
    Napi::Value ReadRegister(const Napi::CallbackInfo &info);
    Napi::Value WriteRegister(const Napi::CallbackInfo &info);
    Napi::Value Breakpoint(const Napi::CallbackInfo &info);
    Napi::Value Watchpoint(const Napi::CallbackInfo &info);
    Napi::Value Packets(const Napi::CallbackInfo &info);
    Napi::Value Describe(const Napi::CallbackInfo &info);

    bool Live(const Napi::CallbackInfo &info); // the Sim is still open
    Napi::Value Check(const Napi::CallbackInfo &info, int status);

    Napi::ObjectReference sim_;
    swd_phy phy_{};
    swd_link swd_{};
    dap_engine engine_{};
    dap_transport transport_{};
    cmsis_dap_link dap_{};
    dp_link *link_ = nullptr;
    adiv5_dp dp_{};
    cortexm core_{};
    bool attached_ = false;
    part_info part_{};
    bool part_known_ = false;
};

} // namespace bmp
