// The GDB server core (native/core/gdb) on a probe's session thread. JavaScript owns the socket:
// it hands GDB's bytes to input(), sends back what comes out, and while the target runs calls
// poll() every few milliseconds (letting a simulated target run that long first).
#pragma once
#include <napi.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "probe_wrap.h"

extern "C" {
#include "gdb/gdb_server.h"
}

namespace bmp {

class GdbWrap : public Napi::ObjectWrap<GdbWrap> {
public:
    static Napi::Object Init(Napi::Env env, Napi::Object exports);
    explicit GdbWrap(const Napi::CallbackInfo &info);

private:
    Napi::Value Input(const Napi::CallbackInfo &info);
    Napi::Value Poll(const Napi::CallbackInfo &info);
    Napi::Value Disconnect(const Napi::CallbackInfo &info);
    Napi::Value Configure(const Napi::CallbackInfo &info);
    Napi::Value MonitorReply(const Napi::CallbackInfo &info);

    // Session thread: the bytes the core produced during one job, and whether it is running.
    Outcome Result();
    static void Output(void *ctx, const uint8_t *data, size_t length);

    ProbeWrap *probe_ = nullptr;
    Napi::ObjectReference probe_ref_;
    std::unique_ptr<gdb_server> server_;
    std::vector<uint8_t> out_;
    std::vector<uint8_t> flash_image_; // 2 MiB: the largest flash of the supported parts
    // The embedding's monitor commands: the core keeps pointers to these names and help texts.
    std::array<std::string, 2 * GDB_EXTRA_MONITORS> monitor_text_;
    uint32_t reported_seq_ = 0; // the last parked monitor request Result() reported
};

} // namespace bmp
