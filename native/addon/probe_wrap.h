// A probe: the target layer (probe_session: scan, attach; ADIv5; Cortex-M) over one link, run
// on the probe's own session thread. Every method returns a Promise. Links:
//   { sim, link: 'swd' }                  swd_link on the simulated wire (the firmware's path)
//   { sim, link: 'cmsis-dap' }            the CMSIS-DAP engine in process (no USB model)
//   { sim, link: 'cmsis-dap', usb }       the virtual probe with its USB model ('hid' | 'bulk')
//   { transfer, packetCount, timeoutMs }  a CMSIS-DAP probe reached through JavaScript
#pragma once
#include <napi.h>

#include <memory>

#include "js_transport.h"
#include "session.h"

extern "C" {
#include "dap/dap.h"
#include "link/cmsis_dap_link.h"
#include "link/swd_link.h"
#include "sim_usb_probe.h"
#include "cortexm/probe_session.h"
}

namespace bmp {

class SimWrap;

class ProbeWrap : public Napi::ObjectWrap<ProbeWrap> {
public:
    static Napi::Object Init(Napi::Env env, Napi::Object exports);
    explicit ProbeWrap(const Napi::CallbackInfo &info);
    ~ProbeWrap() override;

    // For the GDB server, which runs its core on this probe's session thread.
    Session *Worker() { return worker_.get(); }
    // Session thread: the link ready (initialised on first use), and the sim locked if any.
    template <typename F> Outcome WithProbe(F &&f);
    probe_session *State() { return &probe_; }
    // Session thread, under WithProbe: let a simulated target run for `ns` nanoseconds.
    void AdvanceSim(uint64_t ns);
    bool Simulated() const { return sim_ != nullptr; }

private:
    Napi::Value Scan(const Napi::CallbackInfo &info);
    Napi::Value Attach(const Napi::CallbackInfo &info);
    Napi::Value Detach(const Napi::CallbackInfo &info);
    Napi::Value Current(const Napi::CallbackInfo &info);
    Napi::Value ReadMemory(const Napi::CallbackInfo &info);
    Napi::Value WriteMemory(const Napi::CallbackInfo &info);
    Napi::Value Halt(const Napi::CallbackInfo &info);
    Napi::Value Resume(const Napi::CallbackInfo &info);
    Napi::Value Step(const Napi::CallbackInfo &info);
    Napi::Value Reset(const Napi::CallbackInfo &info);
    Napi::Value HaltReason(const Napi::CallbackInfo &info);
    Napi::Value ReadRegisters(const Napi::CallbackInfo &info);
    Napi::Value WriteRegister(const Napi::CallbackInfo &info);
    Napi::Value Breakpoint(const Napi::CallbackInfo &info);
    Napi::Value Watchpoint(const Napi::CallbackInfo &info);
    Napi::Value Stats(const Napi::CallbackInfo &info);
    Napi::Value Describe(const Napi::CallbackInfo &info);
    Napi::Value Close(const Napi::CallbackInfo &info);
    Napi::Value FlashErase(const Napi::CallbackInfo &info);
    Napi::Value FlashImage(const Napi::CallbackInfo &info);
    Napi::Value FlashMassErase(const Napi::CallbackInfo &info);
    Napi::Value FlashReadProtection(const Napi::CallbackInfo &info);
    Napi::Value FlashRdpRegress(const Napi::CallbackInfo &info);

    int OpenLink(); // session thread
    Napi::Value Queue(const Napi::CallbackInfo &info, Session::Work work);

    // Link kinds
    enum class Kind { Swd, DapInProcess, DapUsb, DapJs } kind_ = Kind::Swd;
    SimWrap *sim_ = nullptr;
    sim_target *sim_target_ = nullptr; // valid while the Sim is open (checked under its lock)
    Napi::ObjectReference sim_ref_;
    uint16_t packet_size_ = 512;
    swd_phy phy_{};
    swd_link swd_{};
    dap_engine engine_{};
    dap_transport transport_{};
    std::unique_ptr<sim_usb_probe> usb_;
    std::unique_ptr<JsTransport> js_;
    std::unique_ptr<cmsis_dap_link> dap_;
    dp_link *link_ = nullptr;
    probe_session probe_{};
    std::unique_ptr<Session> worker_;
};

} // namespace bmp

#include "sim_wrap.h"

namespace bmp {

template <typename F> Outcome ProbeWrap::WithProbe(F &&f)
{
    auto run = [&]() -> Outcome {
        int s = OpenLink();
        Outcome o = s != 0 ? Outcome::Status(s) : f();
        if (o.status == BMP_ERR_TRANSPORT && js_) {
            return Outcome::Error(js_->TimedOut() ? "ETIMEDOUT" : "EPROBE",
                                  "the probe's transport failed: " + js_->LastError());
        }
        return o;
    };
    if (!sim_) return run();
    SimAccess t = sim_->Access();
    if (!t) return Outcome::Error("ECLOSED", "the simulated target is closed");
    return run();
}

} // namespace bmp
