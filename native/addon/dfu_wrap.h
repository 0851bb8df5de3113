// The virtual DfuSe device (native/sim/sim_dfu.h) as a JavaScript class: the DfuSe device core
// over a RAM model of a board's flash, answering control transfers. lib/firmware/dfu-virtual.ts
// puts node-usb's USBDevice shape around it. Synchronous: the model is in memory and fast.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "sim_dfu.h"
}

namespace bmp {

class DfuWrap : public Napi::ObjectWrap<DfuWrap> {
public:
    static Napi::Object Init(Napi::Env env, Napi::Object exports);
    explicit DfuWrap(const Napi::CallbackInfo &info);

private:
    Napi::Value Control(const Napi::CallbackInfo &info);
    Napi::Value ReadFlash(const Napi::CallbackInfo &info);
    Napi::Value WriteFlash(const Napi::CallbackInfo &info);
    Napi::Value SetFault(const Napi::CallbackInfo &info);
    Napi::Value Reconnect(const Napi::CallbackInfo &info);
    Napi::Value BootDecision(const Napi::CallbackInfo &info);
    Napi::Value State(const Napi::CallbackInfo &info);
    Napi::Value AltString(const Napi::CallbackInfo &info);

    // [address, address + length) inside the model, or throws ERANGE.
    bool InFlash(Napi::Env env, uint32_t address, uint32_t length);

    std::vector<uint8_t> flash_;
    std::string name_, manufacturer_, product_, serial_; // the C strings point into these
    sim_dfu dev_{};
    bool ready_ = false;
};

} // namespace bmp
