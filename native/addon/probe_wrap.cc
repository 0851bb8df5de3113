#include "probe_wrap.h"

#include <string>

#include "errors.h"
#include "sim_wrap.h"

extern "C" {
#include "sim_swd_phy.h"
}

namespace bmp {

namespace {

const dap_strings kStrings = {"bmp-gdbserver", "bmp-gdbserver CMSIS-DAP", "SIM00001", "2.1.0",
                              nullptr, nullptr, nullptr, nullptr, "0.1.0"};

// Error codes for the statuses of the link and target layers.
const char *CodeFor(int status, const char **message)
{
    switch (status) {
    case DP_LINK_WAIT: *message = "the target kept answering WAIT"; return "ETIMEDOUT";
    case DP_LINK_FAULT: *message = "the access faulted (bus error at that address?)"; return "EBUSFAULT";
    case DP_LINK_NO_RESPONSE: *message = "the target does not answer"; return "ENOTARGET";
    case DP_LINK_PARITY: *message = "read data parity error"; return "EPROTO";
    case DP_LINK_TRANSPORT: *message = "the probe did not answer as expected"; return "EPROBE";
    case CORTEXM_TIMEOUT: *message = "the core did not respond in time"; return "ETIMEDOUT";
    case CORTEXM_NOT_HALTED: *message = "the core must be halted"; return "ENOTHALTED";
    case CORTEXM_NO_RESOURCE: *message = "no free comparator"; return "ENORESOURCE";
    default: *message = "invalid argument"; return "EINVAL";
    }
}

bool U32(const Napi::CallbackInfo &info, size_t i, uint32_t *out)
{
    if (info.Length() <= i || !info[i].IsNumber()) {
        ThrowTypeWithCode(info.Env(), "EINVAL", "expected a number");
        return false;
    }
    double v = info[i].As<Napi::Number>().DoubleValue();
    if (!(v >= 0 && v <= 4294967295.0) || v != static_cast<double>(static_cast<uint64_t>(v))) {
        ThrowWithCode(info.Env(), "ERANGE", "expected an integer from 0 to 0xFFFFFFFF");
        return false;
    }
    *out = static_cast<uint32_t>(v);
    return true;
}

} // namespace

Napi::Object ProbeWrap::Init(Napi::Env env, Napi::Object exports)
{
    Napi::Function cls = DefineClass(env, "SimProbe",
                                     {
                                         InstanceMethod<&ProbeWrap::Connect>("connect"),
                                         InstanceMethod<&ProbeWrap::Attach>("attach"),
                                         InstanceMethod<&ProbeWrap::Detach>("detach"),
                                         InstanceMethod<&ProbeWrap::ReadMemory>("readMemory"),
                                         InstanceMethod<&ProbeWrap::WriteMemory>("writeMemory"),
                                         InstanceMethod<&ProbeWrap::Halt>("halt"),
                                         InstanceMethod<&ProbeWrap::Resume>("resume"),
                                         InstanceMethod<&ProbeWrap::Step>("step"),
                                         InstanceMethod<&ProbeWrap::Reset>("reset"),
                                         InstanceMethod<&ProbeWrap::HaltReason>("haltReason"),
                                         InstanceMethod<&ProbeWrap::ReadRegister>("readRegister"),
                                         InstanceMethod<&ProbeWrap::WriteRegister>("writeRegister"),
                                         InstanceMethod<&ProbeWrap::Breakpoint>("breakpoint"),
                                         InstanceMethod<&ProbeWrap::Watchpoint>("watchpoint"),
                                         InstanceMethod<&ProbeWrap::Packets>("packets"),
                                         InstanceMethod<&ProbeWrap::Describe>("describe"),
                                     });
    exports.Set("SimProbe", cls);
    return exports;
}

// new SimProbe(sim, link: 'swd' | 'cmsis-dap', packetSize)
ProbeWrap::ProbeWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ProbeWrap>(info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsObject() ||
        !info[0].As<Napi::Object>().InstanceOf(SimWrap::constructor.Value()) || !info[1].IsString() ||
        !info[2].IsNumber()) {
        ThrowTypeWithCode(env, "EINVAL", "SimProbe needs a Sim, a link kind and a packet size");
        return;
    }
    sim_target *t = SimWrap::Unwrap(info[0].As<Napi::Object>())->Target(info);
    if (!t) return;
    std::string kind = info[1].As<Napi::String>().Utf8Value();
    double packet = info[2].As<Napi::Number>().DoubleValue();
    sim_ = Napi::Persistent(info[0].As<Napi::Object>());
    sim_swd_phy_init(&phy_, t);
    if (kind == "swd") {
        swd_link_init(&swd_, &phy_);
        link_ = &swd_.link;
    } else if (kind == "cmsis-dap") {
        if (!(packet >= 64 && packet <= 1024)) {
            ThrowWithCode(env, "ERANGE", "packet size must be 64 to 1024");
            return;
        }
        dap_init(&engine_, &phy_, &kStrings, static_cast<uint16_t>(packet), 4);
        transport_ = dap_transport{};
        transport_.ctx = &engine_;
        transport_.exchange = dap_exchange;
        if (cmsis_dap_link_init(&dap_, &transport_) != DP_LINK_OK) {
            ThrowWithCode(env, "EPROBE", "the virtual probe did not answer DAP_Info");
            return;
        }
        link_ = &dap_.link;
    } else {
        ThrowWithCode(env, "EINVAL", "link must be 'swd' or 'cmsis-dap'");
    }
}

bool ProbeWrap::Live(const Napi::CallbackInfo &info)
{
    if (!link_) {
        ThrowWithCode(info.Env(), "ECLOSED", "the probe has no link");
        return false;
    }
    return SimWrap::Unwrap(sim_.Value())->Target(info) != nullptr;
}

Napi::Value ProbeWrap::Check(const Napi::CallbackInfo &info, int status)
{
    if (status == 0) return info.Env().Undefined();
    const char *message = "";
    const char *code = CodeFor(status, &message);
    return ThrowWithCode(info.Env(), code, message);
}

// connect(dormant): { dpidr }
Napi::Value ProbeWrap::Connect(const Napi::CallbackInfo &info)
{
    if (!Live(info)) return info.Env().Undefined();
    bool dormant = info.Length() > 0 && info[0].ToBoolean();
    attached_ = false;
    dp_ = adiv5_dp{};
    int s = adiv5_connect(&dp_, link_, dormant);
    if (s != 0) return Check(info, s);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("dpidr", Napi::Number::New(info.Env(), dp_.dpidr));
    uint32_t idr = 0;
    if (adiv5_ap_read(&dp_, 0, 0xFC, &idr) == 0) o.Set("ap0Idr", Napi::Number::New(info.Env(), idr));
    return o;
}

Napi::Value ProbeWrap::Attach(const Napi::CallbackInfo &info)
{
    if (!Live(info)) return info.Env().Undefined();
    core_ = cortexm{};
    int s = cortexm_attach(&core_, &dp_, 0);
    if (s != 0) return Check(info, s);
    attached_ = true;
    // Identify the part from DBGMCU IDCODE (where it answers), then size its flash.
    part_known_ = false;
    for (uint32_t address : part_idcode_addresses) {
        uint8_t b[4] = {0};
        if (adiv5_mem_read(&dp_, 0, address, b, 4) != 0) continue;
        uint16_t dev_id = static_cast<uint16_t>((b[0] | b[1] << 8) & 0xFFF);
        uint32_t size_reg = part_flash_size_register(dev_id), kib = 0;
        uint8_t k[2] = {0};
        if (size_reg && adiv5_mem_read(&dp_, 0, size_reg, k, 2) == 0) kib = k[0] | k[1] << 8;
        if (part_identify(dev_id, kib, &part_)) {
            part_known_ = true;
            break;
        }
    }
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("cpuid", Napi::Number::New(env, core_.cpuid));
    o.Set("core", Napi::Number::New(env, core_.core));
    o.Set("hasFpu", Napi::Boolean::New(env, core_.has_fpu));
    o.Set("fpbRevision", Napi::Number::New(env, core_.fpb_revision));
    o.Set("breakpoints", Napi::Number::New(env, core_.breakpoints));
    o.Set("watchpoints", Napi::Number::New(env, core_.watchpoints));
    return o;
}

Napi::Value ProbeWrap::Detach(const Napi::CallbackInfo &info)
{
    if (!Live(info)) return info.Env().Undefined();
    if (!attached_) return info.Env().Undefined();
    attached_ = false;
    return Check(info, cortexm_detach(&core_));
}

Napi::Value ProbeWrap::ReadMemory(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0, length = 0;
    if (!Live(info) || !U32(info, 0, &addr) || !U32(info, 1, &length)) return info.Env().Undefined();
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), length);
    int s = adiv5_mem_read(&dp_, 0, addr, out.Data(), length);
    if (s != 0) return Check(info, s);
    return out;
}

Napi::Value ProbeWrap::WriteMemory(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0;
    if (!Live(info) || !U32(info, 0, &addr)) return info.Env().Undefined();
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
        return ThrowTypeWithCode(info.Env(), "EINVAL", "data must be a Uint8Array");
    Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
    return Check(info, adiv5_mem_write(&dp_, 0, addr, data.Data(), data.ByteLength()));
}

Napi::Value ProbeWrap::Halt(const Napi::CallbackInfo &info)
{
    return Live(info) ? Check(info, cortexm_halt(&core_)) : info.Env().Undefined();
}

Napi::Value ProbeWrap::Resume(const Napi::CallbackInfo &info)
{
    return Live(info) ? Check(info, cortexm_resume(&core_)) : info.Env().Undefined();
}

Napi::Value ProbeWrap::Step(const Napi::CallbackInfo &info)
{
    bool mask = info.Length() > 0 && info[0].ToBoolean();
    return Live(info) ? Check(info, cortexm_step(&core_, mask)) : info.Env().Undefined();
}

// reset(halt, pin): through AIRCR.SYSRESETREQ, or by pulsing nRST
Napi::Value ProbeWrap::Reset(const Napi::CallbackInfo &info)
{
    bool halt = info.Length() > 0 && info[0].ToBoolean();
    bool pin = info.Length() > 1 && info[1].ToBoolean();
    if (!Live(info)) return info.Env().Undefined();
    return Check(info, pin ? cortexm_reset_pin(&core_, halt) : cortexm_reset(&core_, halt));
}

// haltReason(): { reason, watchAddress }
Napi::Value ProbeWrap::HaltReason(const Napi::CallbackInfo &info)
{
    if (!Live(info)) return info.Env().Undefined();
    cortexm_halt_reason reason = CORTEXM_HALT_NONE;
    uint32_t where = 0;
    int s = cortexm_halt_reason_of(&core_, &reason, &where);
    if (s != 0) return Check(info, s);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("reason", Napi::Number::New(info.Env(), reason));
    o.Set("watchAddress", Napi::Number::New(info.Env(), where));
    return o;
}

Napi::Value ProbeWrap::ReadRegister(const Napi::CallbackInfo &info)
{
    uint32_t regsel = 0, value = 0;
    if (!Live(info) || !U32(info, 0, &regsel)) return info.Env().Undefined();
    int s = cortexm_read_register(&core_, regsel, &value);
    if (s != 0) return Check(info, s);
    return Napi::Number::New(info.Env(), value);
}

Napi::Value ProbeWrap::WriteRegister(const Napi::CallbackInfo &info)
{
    uint32_t regsel = 0, value = 0;
    if (!Live(info) || !U32(info, 0, &regsel) || !U32(info, 1, &value)) return info.Env().Undefined();
    return Check(info, cortexm_write_register(&core_, regsel, value));
}

// breakpoint(addr, set: boolean)
Napi::Value ProbeWrap::Breakpoint(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0;
    if (!Live(info) || !U32(info, 0, &addr)) return info.Env().Undefined();
    bool set = info.Length() > 1 && info[1].ToBoolean();
    return Check(info, set ? cortexm_set_breakpoint(&core_, addr) : cortexm_clear_breakpoint(&core_, addr));
}

// watchpoint(addr, size, kind: 0 clear | 5 read | 6 write | 7 access)
Napi::Value ProbeWrap::Watchpoint(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0, size = 0, kind = 0;
    if (!Live(info) || !U32(info, 0, &addr) || !U32(info, 1, &size) || !U32(info, 2, &kind))
        return info.Env().Undefined();
    if (kind == 0) return Check(info, cortexm_clear_watchpoint(&core_, addr, size));
    if (kind < 5 || kind > 7) return ThrowWithCode(info.Env(), "EINVAL", "watchpoint kind must be read, write or access");
    return Check(info, cortexm_set_watchpoint(&core_, addr, size, static_cast<cortexm_watch>(kind)));
}

// describe(): { name, devId, memoryMap, targetXml } of the attached part
Napi::Value ProbeWrap::Describe(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    if (!attached_) return ThrowWithCode(env, "ENOTATTACHED", "no target is attached");
    static char xml[8192];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", part_known_ ? part_.name : "unknown Cortex-M part");
    o.Set("devId", Napi::Number::New(env, part_known_ ? part_.dev_id : 0));
    Napi::Array regions = Napi::Array::New(env);
    for (unsigned i = 0; part_known_ && i < part_.memory_count; i++) {
        Napi::Object r = Napi::Object::New(env);
        r.Set("type", part_.memories[i].kind == PART_MEMORY_FLASH ? "flash" : "ram");
        r.Set("start", Napi::Number::New(env, part_.memories[i].start));
        r.Set("length", Napi::Number::New(env, part_.memories[i].length));
        if (part_.memories[i].kind == PART_MEMORY_FLASH)
            r.Set("blockSize", Napi::Number::New(env, part_.memories[i].block_size));
        regions.Set(i, r);
    }
    o.Set("regions", regions);
    size_t n = part_known_ ? part_memory_map_xml(&part_, xml, sizeof xml) : 0;
    o.Set("memoryMap", Napi::String::New(env, xml, n));
    n = cortexm_target_xml(core_.has_fpu, xml, sizeof xml);
    o.Set("targetXml", Napi::String::New(env, xml, n));
    return o;
}

Napi::Value ProbeWrap::Packets(const Napi::CallbackInfo &info)
{
    return Napi::Number::New(info.Env(), link_ == &dap_.link ? dap_.packets : 0);
}

} // namespace bmp
