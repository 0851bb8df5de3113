#include "dap_wrap.h"

#include <cstring>

#include "addon_data.h"
#include "args.h"
#include "errors.h"
#include "sim_wrap.h"

extern "C" {
#include "sim_swd_phy.h"
#include "sim_usb_probe.h"
}

namespace bmp {

Napi::Object DapWrap::Init(Napi::Env env, Napi::Object exports)
{
    Napi::Function cls = DefineClass(env, "DapEngine",
                                     {
                                         InstanceMethod<&DapWrap::Execute>("execute"),
                                         InstanceMethod<&DapWrap::Abort>("abort"),
                                         InstanceAccessor<&DapWrap::PacketSize>("packetSize"),
                                     });
    AddonData::Of(env).dap_engine = Napi::Persistent(cls);
    exports.Set("DapEngine", cls);
    return exports;
}

// new DapEngine(sim, packetSize, packetCount)
DapWrap::DapWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<DapWrap>(info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !IsInstance(info[0], AddonData::Of(env).sim)) {
        ThrowTypeWithCode(env, "EINVAL", "DapEngine needs a Sim, a packet size and a packet count");
        return;
    }
    uint32_t size = 0, count = 0;
    if (!ArgU32(info, 1, "packet size", &size, DAP_MAX_PACKET_SIZE) || !ArgU32(info, 2, "packet count", &count, 255))
        return;
    if (size < 64 || count < 1) {
        ThrowWithCode(env, "ERANGE", "packet size must be 64 to 1024 and packet count 1 to 255");
        return;
    }
    SimWrap *sim = SimWrap::Unwrap(info[0].As<Napi::Object>());
    SimAccess t = sim->Target(info);
    if (!t) return;
    sim_ = Napi::Persistent(info[0].As<Napi::Object>());
    sim_swd_phy_init(&phy_, t);
    dap_init(&engine_, &phy_, &sim_probe_strings, static_cast<uint16_t>(size), static_cast<uint8_t>(count));
    bound_ = true;
}

// execute(request: Uint8Array): Uint8Array[] (0 responses after DAP_QueueCommands)
Napi::Value DapWrap::Execute(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    if (!bound_) return ThrowWithCode(env, "ECLOSED", "the engine has no target");
    // The Sim may have been closed since: its target pointer is then gone. While a worker
    // terminates, Node-API calls fail: every value made here is checked before it is used.
    Napi::Value held = sim_.Value();
    SimWrap *sim = held.IsObject() ? SimWrap::Unwrap(held.As<Napi::Object>()) : nullptr;
    if (!sim) return env.Undefined();
    SimAccess t = sim->Target(info);
    if (!t) return env.Undefined();
    Napi::Uint8Array request;
    if (!ArgBytes(info, 0, "request", &request)) return env.Undefined();
    unsigned ready = dap_process(&engine_, request.Data(), request.ByteLength());
    Napi::Array out = Napi::Array::New(env, ready);
    if (out.IsEmpty()) return env.Undefined();
    for (unsigned i = 0; i < ready; i++) {
        size_t length = 0;
        const uint8_t *data = dap_response(&engine_, i, &length);
        Napi::Uint8Array r = Napi::Uint8Array::New(env, length);
        if (r.IsEmpty() || (length && !r.Data())) return env.Undefined();
        memcpy(r.Data(), data, length);
        out.Set(i, r);
    }
    return out;
}

Napi::Value DapWrap::Abort(const Napi::CallbackInfo &info)
{
    engine_.abort = true;
    return info.Env().Undefined();
}

Napi::Value DapWrap::PacketSize(const Napi::CallbackInfo &info)
{
    return Napi::Number::New(info.Env(), engine_.packet_size);
}

} // namespace bmp
