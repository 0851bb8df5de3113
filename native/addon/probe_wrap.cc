#include "probe_wrap.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "addon_data.h"
#include "args.h"
#include "errors.h"

extern "C" {
#include "sim_swd_phy.h"
#include "cortexm/description.h"
#include "flash/flash.h"
#include "flash/flash_image.h"
}

namespace bmp {

namespace {

double NumberOption(Napi::Object o, const char *name, double fallback)
{
    Napi::Value v = o.Get(name);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

Outcome NeedAttached(probe_session *)
{
    return Outcome::Error("ENOTATTACHED", "no target is attached");
}

} // namespace

Napi::Object ProbeWrap::Init(Napi::Env env, Napi::Object exports)
{
    Napi::Function cls = DefineClass(env, "Probe",
                                     {
                                         InstanceMethod<&ProbeWrap::Scan>("scan"),
                                         InstanceMethod<&ProbeWrap::Attach>("attach"),
                                         InstanceMethod<&ProbeWrap::Detach>("detach"),
                                         InstanceMethod<&ProbeWrap::Current>("current"),
                                         InstanceMethod<&ProbeWrap::ReadMemory>("readMemory"),
                                         InstanceMethod<&ProbeWrap::WriteMemory>("writeMemory"),
                                         InstanceMethod<&ProbeWrap::Halt>("halt"),
                                         InstanceMethod<&ProbeWrap::Resume>("resume"),
                                         InstanceMethod<&ProbeWrap::Step>("step"),
                                         InstanceMethod<&ProbeWrap::Reset>("reset"),
                                         InstanceMethod<&ProbeWrap::HaltReason>("haltReason"),
                                         InstanceMethod<&ProbeWrap::ReadRegisters>("readRegisters"),
                                         InstanceMethod<&ProbeWrap::WriteRegister>("writeRegister"),
                                         InstanceMethod<&ProbeWrap::Breakpoint>("breakpoint"),
                                         InstanceMethod<&ProbeWrap::Watchpoint>("watchpoint"),
                                         InstanceMethod<&ProbeWrap::Stats>("stats"),
                                         InstanceMethod<&ProbeWrap::Describe>("describe"),
                                         InstanceMethod<&ProbeWrap::Close>("close"),
                                         InstanceMethod<&ProbeWrap::FlashErase>("flashErase"),
                                         InstanceMethod<&ProbeWrap::FlashImage>("flashImage"),
                                         InstanceMethod<&ProbeWrap::FlashMassErase>("flashMassErase"),
                                         InstanceMethod<&ProbeWrap::FlashReadProtection>("flashReadProtection"),
                                         InstanceMethod<&ProbeWrap::FlashRdpRegress>("flashRdpRegress"),
                                     });
    AddonData::Of(env).probe = Napi::Persistent(cls);
    exports.Set("Probe", cls);
    return exports;
}

ProbeWrap::ProbeWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ProbeWrap>(info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
        ThrowTypeWithCode(env, "EINVAL", "Probe needs an options object");
        return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value sim = o.Get("sim"), transfer = o.Get("transfer");
    if (transfer.IsFunction()) {
        double count = NumberOption(o, "packetCount", 1), timeout = NumberOption(o, "timeoutMs", 2000);
        if (!(count >= 1 && count <= CMSIS_DAP_LINK_MAX_IN_FLIGHT) || !(timeout >= 1 && timeout <= 600000)) {
            ThrowWithCode(env, "ERANGE", "packetCount must be 1 to 8 and timeoutMs 1 to 600000");
            return;
        }
        kind_ = Kind::DapJs;
        js_.reset(new JsTransport(env, transfer.As<Napi::Function>(), static_cast<unsigned>(count),
                                  static_cast<unsigned>(timeout)));
    } else if (IsInstance(sim, AddonData::Of(env).sim)) {
        sim_ = SimWrap::Unwrap(sim.As<Napi::Object>());
        SimAccess t = sim_->Target(info);
        if (!t) return;
        sim_ref_ = Napi::Persistent(sim.As<Napi::Object>());
        std::string link = o.Get("link").IsString() ? o.Get("link").As<Napi::String>().Utf8Value() : "cmsis-dap";
        std::string usb = o.Get("usb").IsString() ? o.Get("usb").As<Napi::String>().Utf8Value() : "";
        double packet = NumberOption(o, "packetSize", 512);
        sim_target_ = t;
        sim_swd_phy_init(&phy_, t);
        if (link == "swd") {
            kind_ = Kind::Swd;
            swd_link_init(&swd_, &phy_);
        } else if (link != "cmsis-dap") {
            ThrowWithCode(env, "EINVAL", "link must be 'swd' or 'cmsis-dap'");
            return;
        } else if (usb == "hid" || usb == "bulk") {
            kind_ = Kind::DapUsb;
            usb_.reset(new sim_usb_probe);
            sim_usb_probe_init(usb_.get(), t, usb == "hid" ? SIM_USB_FULL_SPEED_HID : SIM_USB_HIGH_SPEED_BULK);
        } else if (!usb.empty()) {
            ThrowWithCode(env, "EINVAL", "usb must be 'hid' or 'bulk'");
            return;
        } else {
            if (!(packet >= 64 && packet <= 1024)) {
                ThrowWithCode(env, "ERANGE", "packet size must be 64 to 1024");
                return;
            }
            kind_ = Kind::DapInProcess;
            dap_init(&engine_, &phy_, &sim_probe_strings, static_cast<uint16_t>(packet), 4);
            transport_ = dap_transport{};
            transport_.ctx = &engine_;
            transport_.exchange = dap_exchange;
        }
    } else {
        ThrowTypeWithCode(env, "EINVAL", "Probe needs { sim } or { transfer }");
        return;
    }
    probe_session_init(&probe_, nullptr);
    worker_.reset(new Session(env, info.This().As<Napi::Object>(), &CodeForStatus));
    if (js_) {
        JsTransport *bridge = js_.get();
        worker_->OnAbort([bridge] { bridge->Abort(); });
    }
}

ProbeWrap::~ProbeWrap()
{
    if (worker_) worker_->Stop(); // before the transport and link it uses go away
}

// Session thread. Opening a CMSIS-DAP link asks the probe for its packet size (DAP_Info), which
// for a JavaScript transport needs the main thread free: hence here and not in the constructor.
int ProbeWrap::OpenLink()
{
    if (link_) return 0;
    switch (kind_) {
    case Kind::Swd: link_ = &swd_.link; break;
    case Kind::DapInProcess:
    case Kind::DapUsb:
    case Kind::DapJs: {
        const dap_transport *t = kind_ == Kind::DapUsb ? &usb_->transport
                                 : kind_ == Kind::DapJs ? js_->Transport()
                                                        : &transport_;
        std::unique_ptr<cmsis_dap_link> l(new cmsis_dap_link);
        int s = cmsis_dap_link_init(l.get(), t);
        if (s != 0) return s;
        dap_ = std::move(l);
        link_ = &dap_->link;
        break;
    }
    }
    probe_.link = link_;
    return 0;
}

void ProbeWrap::AdvanceSim(uint64_t ns)
{
    if (sim_target_) sim_target_advance(sim_target_, ns * 1000u);
}

Napi::Value ProbeWrap::Queue(const Napi::CallbackInfo &info, Session::Work work)
{
    if (!worker_) return ThrowWithCode(info.Env(), "ECLOSED", "the probe is closed");
    return worker_->Run(info.Env(), std::move(work));
}

// scan(dormant?): { dpidr, aps, targets: [{ apsel, cpuid, core }], components: [...] }
Napi::Value ProbeWrap::Scan(const Napi::CallbackInfo &info)
{
    bool dormant = info.Length() > 0 && info[0].ToBoolean();
    return Queue(info, [this, dormant] {
        return WithProbe([&] {
            probe_.dormant = dormant;
            int n = probe_scan(&probe_);
            if (n < 0) return Outcome::Status(n);
            probe_session copy = probe_;
            return Outcome::Ok([copy](Napi::Env env) -> Napi::Value {
                Napi::Object o = Napi::Object::New(env);
                o.Set("dpidr", Napi::Number::New(env, copy.dp.dpidr));
                o.Set("aps", Napi::Number::New(env, copy.ap_count));
                Napi::Array targets = Napi::Array::New(env);
                for (unsigned i = 0; i < copy.target_count; i++) {
                    Napi::Object t = Napi::Object::New(env);
                    t.Set("apsel", Napi::Number::New(env, copy.targets[i].apsel));
                    t.Set("cpuid", Napi::Number::New(env, copy.targets[i].cpuid));
                    t.Set("core", Napi::Number::New(env, copy.targets[i].core));
                    t.Set("idcode", Napi::Number::New(env, copy.targets[i].idcode));
                    const char *part = copy.targets[i].part_name;
                    t.Set("part", part && std::string(part) != "Cortex-M" ? part : "");
                    targets.Set(i, t);
                }
                o.Set("targets", targets);
                Napi::Array parts = Napi::Array::New(env);
                for (unsigned i = 0; i < copy.component_count; i++) {
                    const coresight_component &c = copy.components[i];
                    Napi::Object e = Napi::Object::New(env);
                    e.Set("address", Napi::Number::New(env, c.address));
                    e.Set("part", Napi::Number::New(env, c.part));
                    e.Set("designer", Napi::Number::New(env, c.designer));
                    e.Set("class", Napi::Number::New(env, c.cls));
                    e.Set("depth", Napi::Number::New(env, c.depth));
                    parts.Set(i, e);
                }
                o.Set("components", parts);
                return o;
            });
        });
    });
}

// attach(index): { cpuid, core, hasFpu, fpbRevision, breakpoints, watchpoints, part }
Napi::Value ProbeWrap::Attach(const Napi::CallbackInfo &info)
{
    uint32_t index = 0;
    if (info.Length() > 0 && !ArgU32(info, 0, "index", &index)) return info.Env().Undefined();
    return Queue(info, [this, index] {
        return WithProbe([&] {
            if (probe_.connected && index >= probe_.target_count)
                return Outcome::Error("ENOTARGET", "no target " + std::to_string(index + 1) + " in the last scan");
            int s = probe_attach(&probe_, index);
            if (s == BMP_ERR_NO_TARGET) return Outcome::Error("ENOTARGET", "the scan found no Cortex-M core to attach to");
            if (s != 0) return Outcome::Status(s);
            cortexm c = probe_.core;
            std::string part = probe_part_name(&probe_);
            return Outcome::Ok([c, part](Napi::Env env) -> Napi::Value {
                Napi::Object o = Napi::Object::New(env);
                o.Set("cpuid", Napi::Number::New(env, c.cpuid));
                o.Set("core", Napi::Number::New(env, c.core));
                o.Set("hasFpu", Napi::Boolean::New(env, c.has_fpu));
                o.Set("fpbRevision", Napi::Number::New(env, c.fpb_revision));
                o.Set("breakpoints", Napi::Number::New(env, c.breakpoints));
                o.Set("watchpoints", Napi::Number::New(env, c.watchpoints));
                o.Set("part", part);
                return o;
            });
        });
    });
}

Napi::Value ProbeWrap::Detach(const Napi::CallbackInfo &info)
{
    return Queue(info, [this] { return WithProbe([&] { return Outcome::Status(probe_detach(&probe_)); }); });
}

// current(): null, or { index, core, hasFpu } of the core attached now (by attach() or by a GDB
// session on this probe)
Napi::Value ProbeWrap::Current(const Napi::CallbackInfo &info)
{
    return Queue(info, [this] {
        int index = probe_.attached;
        cortexm c = probe_.core;
        return Outcome::Ok([index, c](Napi::Env env) -> Napi::Value {
            if (index < 0) return env.Null();
            Napi::Object o = Napi::Object::New(env);
            o.Set("index", Napi::Number::New(env, index));
            o.Set("core", Napi::Number::New(env, c.core));
            o.Set("hasFpu", Napi::Boolean::New(env, c.has_fpu));
            return o;
        });
    });
}

Napi::Value ProbeWrap::ReadMemory(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0, length = 0;
    if (!ArgU32(info, 0, "addr", &addr) || !ArgU32(info, 1, "length", &length)) return info.Env().Undefined();
    if (length > (64u << 20)) return ThrowWithCode(info.Env(), "ERANGE", "read at most 64 MiB at once");
    return Queue(info, [this, addr, length] {
        return WithProbe([&] {
            if (!probe_.connected) return NeedAttached(&probe_);
            auto data = std::make_shared<std::vector<uint8_t>>(length);
            int s = adiv5_mem_read(&probe_.dp, probe_.core.apsel, addr, data->data(), length);
            if (s != 0) return Outcome::Status(s);
            return Outcome::Ok([data](Napi::Env env) -> Napi::Value {
                Napi::Uint8Array out = Napi::Uint8Array::New(env, data->size());
                if (!data->empty()) memcpy(out.Data(), data->data(), data->size());
                return out;
            });
        });
    });
}

Napi::Value ProbeWrap::WriteMemory(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0;
    std::shared_ptr<std::vector<uint8_t>> data;
    if (!ArgU32(info, 0, "addr", &addr) || !ArgBytesCopy(info, 1, "data", &data)) return info.Env().Undefined();
    return Queue(info, [this, addr, data] {
        return WithProbe([&] {
            if (!probe_.connected) return NeedAttached(&probe_);
            return Outcome::Status(adiv5_mem_write(&probe_.dp, probe_.core.apsel, addr, data->data(), data->size()));
        });
    });
}

#define CORE_CALL(expr)                                                                            \
    Queue(info, [=] {                                                                              \
        return WithProbe([&] {                                                                     \
            if (probe_.attached < 0) return NeedAttached(&probe_);                                 \
            return Outcome::Status(expr);                                                          \
        });                                                                                        \
    })

Napi::Value ProbeWrap::Halt(const Napi::CallbackInfo &info)
{
    return CORE_CALL(cortexm_halt(&probe_.core));
}

Napi::Value ProbeWrap::Resume(const Napi::CallbackInfo &info)
{
    return CORE_CALL(cortexm_resume(&probe_.core));
}

Napi::Value ProbeWrap::Step(const Napi::CallbackInfo &info)
{
    bool mask = info.Length() > 0 && info[0].ToBoolean();
    return CORE_CALL(cortexm_step(&probe_.core, mask));
}

// reset(halt, pin): through AIRCR.SYSRESETREQ, or by pulsing nRST
Napi::Value ProbeWrap::Reset(const Napi::CallbackInfo &info)
{
    bool halt = info.Length() > 0 && info[0].ToBoolean();
    bool pin = info.Length() > 1 && info[1].ToBoolean();
    return CORE_CALL(pin ? cortexm_reset_pin(&probe_.core, halt) : cortexm_reset(&probe_.core, halt));
}

Napi::Value ProbeWrap::WriteRegister(const Napi::CallbackInfo &info)
{
    uint32_t regsel = 0, value = 0;
    if (!ArgU32(info, 0, "regsel", &regsel) || !ArgU32(info, 1, "value", &value)) return info.Env().Undefined();
    return CORE_CALL(cortexm_write_register(&probe_.core, regsel, value));
}

// breakpoint(addr, set: boolean)
Napi::Value ProbeWrap::Breakpoint(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0;
    if (!ArgU32(info, 0, "addr", &addr)) return info.Env().Undefined();
    bool set = info.Length() > 1 && info[1].ToBoolean();
    return CORE_CALL(set ? cortexm_set_breakpoint(&probe_.core, addr) : cortexm_clear_breakpoint(&probe_.core, addr));
}

// watchpoint(addr, size, kind: 0 clear | 5 read | 6 write | 7 access)
Napi::Value ProbeWrap::Watchpoint(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0, size = 0, kind = 0;
    if (!ArgU32(info, 0, "addr", &addr) || !ArgU32(info, 1, "size", &size) || !ArgU32(info, 2, "kind", &kind)) return info.Env().Undefined();
    if (kind != 0 && (kind < 5 || kind > 7))
        return ThrowWithCode(info.Env(), "EINVAL", "watchpoint kind must be read, write or access");
    return CORE_CALL(kind == 0 ? cortexm_clear_watchpoint(&probe_.core, addr, size)
                               : cortexm_set_watchpoint(&probe_.core, addr, size, static_cast<cortexm_watch>(kind)));
}

#undef CORE_CALL

// haltReason(): { reason, watchAddress }
Napi::Value ProbeWrap::HaltReason(const Napi::CallbackInfo &info)
{
    return Queue(info, [this] {
        return WithProbe([&] {
            if (probe_.attached < 0) return NeedAttached(&probe_);
            cortexm_halt_reason reason = CORTEXM_HALT_NONE;
            uint32_t where = 0;
            int s = cortexm_halt_reason_of(&probe_.core, &reason, &where);
            if (s != 0) return Outcome::Status(s);
            return Outcome::Ok([reason, where](Napi::Env env) -> Napi::Value {
                Napi::Object o = Napi::Object::New(env);
                o.Set("reason", Napi::Number::New(env, reason));
                o.Set("watchAddress", Napi::Number::New(env, where));
                return o;
            });
        });
    });
}

// readRegisters(regsels: number[]): number[], in one job (one thread hop for many registers)
Napi::Value ProbeWrap::ReadRegisters(const Napi::CallbackInfo &info)
{
    if (info.Length() < 1 || !info[0].IsArray()) return ThrowTypeWithCode(info.Env(), "EINVAL", "expected an array of register numbers");
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<unsigned> regs;
    for (uint32_t i = 0; i < list.Length(); i++) {
        uint32_t regsel = 0;
        if (!ToU32(info.Env(), list.Get(i), "a register number", 0xFFFFFFFFu, &regsel)) return info.Env().Undefined();
        regs.push_back(regsel);
    }
    return Queue(info, [this, regs] {
        return WithProbe([&] {
            if (probe_.attached < 0) return NeedAttached(&probe_);
            auto values = std::make_shared<std::vector<uint32_t>>(regs.size());
            for (size_t i = 0; i < regs.size(); i++) {
                int s = cortexm_read_register(&probe_.core, regs[i], &(*values)[i]);
                if (s != 0) return Outcome::Status(s);
            }
            return Outcome::Ok([values](Napi::Env env) -> Napi::Value {
                Napi::Array out = Napi::Array::New(env, values->size());
                for (size_t i = 0; i < values->size(); i++) out.Set(i, Napi::Number::New(env, (*values)[i]));
                return out;
            });
        });
    });
}

// describe(): { name, devId, regions, memoryMap, targetXml } of the attached part
Napi::Value ProbeWrap::Describe(const Napi::CallbackInfo &info)
{
    return Queue(info, [this] {
        if (probe_.attached < 0) return NeedAttached(&probe_);
        auto xml = std::make_shared<std::vector<char>>(8192);
        bool known = probe_.part_known;
        part_info part = probe_.part;
        std::string name = probe_part_name(&probe_);
        size_t n = known ? part_memory_map_xml(&part, xml->data(), xml->size()) : 0;
        std::string map(xml->data(), n);
        n = cortexm_target_xml(probe_.core.has_fpu, xml->data(), xml->size());
        std::string target(xml->data(), n);
        return Outcome::Ok([known, part, name, map, target](Napi::Env env) -> Napi::Value {
            Napi::Object o = Napi::Object::New(env);
            o.Set("name", name);
            o.Set("devId", Napi::Number::New(env, known ? part.dev_id : 0));
            Napi::Array regions = Napi::Array::New(env);
            for (unsigned i = 0; known && i < part.memory_count; i++) {
                Napi::Object r = Napi::Object::New(env);
                static const char *const kinds[] = {"ram", "flash", "rom", "device"};
                r.Set("type", kinds[part.memories[i].kind]);
                r.Set("start", Napi::Number::New(env, part.memories[i].start));
                r.Set("length", Napi::Number::New(env, part.memories[i].length));
                if (part.memories[i].kind == PART_MEMORY_FLASH)
                    r.Set("blockSize", Napi::Number::New(env, part.memories[i].block_size));
                regions.Set(i, r);
            }
            o.Set("regions", regions);
            o.Set("memoryMap", map);
            o.Set("targetXml", target);
            return o;
        });
    });
}

// stats(): { packets, usbPackets?, hostNs? }: CMSIS-DAP packets sent, and the USB model's figures
Napi::Value ProbeWrap::Stats(const Napi::CallbackInfo &info)
{
    return Queue(info, [this] {
        uint32_t packets = dap_ ? dap_->packets : 0;
        bool usb = usb_ != nullptr;
        double usb_packets = usb ? static_cast<double>(usb_->usb_packets) : 0;
        double host_ns = usb ? static_cast<double>(usb_->host_ps) / 1000.0 : 0;
        return Outcome::Ok([=](Napi::Env env) -> Napi::Value {
            Napi::Object o = Napi::Object::New(env);
            o.Set("packets", Napi::Number::New(env, packets));
            if (usb) {
                o.Set("usbPackets", Napi::Number::New(env, usb_packets));
                o.Set("hostNs", Napi::Number::New(env, host_ns));
            }
            return o;
        });
    });
}

// flashErase(addr, length): erases every block the range touches
Napi::Value ProbeWrap::FlashErase(const Napi::CallbackInfo &info)
{
    uint32_t addr = 0, length = 0;
    if (!ArgU32(info, 0, "addr", &addr) || !ArgU32(info, 1, "length", &length)) return info.Env().Undefined();
    return Queue(info, [this, addr, length] {
        return WithProbe([&] {
            if (probe_.attached < 0) return NeedAttached(&probe_);
            return Outcome::Status(flash_erase(&probe_, addr, length));
        });
    });
}

// flashImage(segments: { address, data }[], verify, fast = true, progress?: Int32Array):
// programs an image as the core plans it (flash/flash_image.h): refused before anything is
// erased if any byte lies outside flash; only the blocks it touches are erased; verified by the
// on-target routine's CRC (or by reading back). `fast` uses the loader in the part's RAM, else
// direct writes. `progress` (two elements, on a SharedArrayBuffer that the caller keeps until
// the call settles) receives [bytes done, total] from the session thread as it goes.
Napi::Value ProbeWrap::FlashImage(const Napi::CallbackInfo &info)
{
    struct Piece {
        uint32_t addr;
        std::vector<uint8_t> data;
    };
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) return ThrowTypeWithCode(env, "EINVAL", "segments must be an array");
    Napi::Array list = info[0].As<Napi::Array>();
    auto pieces = std::make_shared<std::vector<Piece>>();
    for (uint32_t i = 0; i < list.Length(); i++) {
        Napi::Value v = list.Get(i);
        if (!v.IsObject() || !v.As<Napi::Object>().Get("data").IsTypedArray())
            return ThrowTypeWithCode(env, "EINVAL", "each segment must be { address, data: Uint8Array }");
        Napi::Object o = v.As<Napi::Object>();
        uint32_t addr = 0;
        if (!ToU32(env, o.Get("address"), "a segment's address", 0xFFFFFFFFu, &addr)) return env.Undefined();
        Napi::TypedArray t = o.Get("data").As<Napi::TypedArray>();
        if (t.TypedArrayType() != napi_uint8_array) return ThrowTypeWithCode(env, "EINVAL", "a segment's data must be a Uint8Array");
        Napi::Uint8Array bytes = t.As<Napi::Uint8Array>();
        if (static_cast<uint64_t>(addr) + bytes.ElementLength() > 0x100000000ull)
            return ThrowWithCode(env, "ERANGE", "a segment runs past 4 GiB");
        pieces->push_back(Piece{addr, std::vector<uint8_t>(bytes.Data(), bytes.Data() + bytes.ElementLength())});
    }
    bool verify = info.Length() > 1 && info[1].ToBoolean();
    bool fast = !(info.Length() > 2 && info[2].IsBoolean() && !info[2].As<Napi::Boolean>().Value());
    int32_t *progress = nullptr;
    if (info.Length() > 3 && !info[3].IsUndefined()) {
        if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
            info[3].As<Napi::Int32Array>().ElementLength() < 2)
            return ThrowTypeWithCode(env, "EINVAL", "progress must be an Int32Array of two elements");
        progress = info[3].As<Napi::Int32Array>().Data();
    }
    return Queue(info, [this, pieces, verify, fast, progress] {
        return WithProbe([&] {
            if (probe_.attached < 0) return NeedAttached(&probe_);
            if (!probe_.part_known) return Outcome::Status(BMP_ERR_FLASH_UNKNOWN_PART);
            uint32_t origin = flash_image_origin(&probe_);
            uint64_t end = origin;
            for (const Piece &p : *pieces) {
                if (p.data.empty()) continue;
                if (!flash_contains(&probe_, p.addr, static_cast<uint32_t>(p.data.size()))) {
                    char where[96];
                    snprintf(where, sizeof where, "the image has data at 0x%x-0x%x, outside the flash of this part",
                             static_cast<unsigned>(p.addr), static_cast<unsigned>(p.addr + p.data.size() - 1));
                    return Outcome::Error("ERANGE", std::string(where) + ": nothing was erased");
                }
                end = std::max<uint64_t>(end, p.addr + p.data.size());
            }
            std::vector<uint8_t> buffer(static_cast<size_t>(end - origin));
            std::vector<flash_extent> extents(pieces->size() ? pieces->size() : 1);
            flash_image image;
            flash_image_init(&image, origin, buffer.data(), buffer.size(), extents.data(), static_cast<unsigned>(extents.size()));
            for (const Piece &p : *pieces) flash_image_add(&image, p.addr, p.data.data(), p.data.size());
            flash_ram ram = {0, 0};
            if (fast) flash_default_ram(&probe_, &ram);
            auto report = [](void *ctx, size_t done, size_t total) {
                int32_t *cell = static_cast<int32_t *>(ctx);
                __atomic_store_n(&cell[1], static_cast<int32_t>(total), __ATOMIC_RELAXED);
                __atomic_store_n(&cell[0], static_cast<int32_t>(done), __ATOMIC_RELEASE);
            };
            return Outcome::Status(flash_image_write(&probe_, &image, &ram, verify, progress ? +report : nullptr, progress));
        });
    });
}

Napi::Value ProbeWrap::FlashMassErase(const Napi::CallbackInfo &info)
{
    return Queue(info, [this] {
        return WithProbe([&] {
            if (probe_.attached < 0) return NeedAttached(&probe_);
            return Outcome::Status(flash_mass_erase(&probe_));
        });
    });
}

// flashReadProtection(): { level, rdp? } of the attached part (flash/flash.h); rdp is the option
// byte where the part has one (not on the F1).
Napi::Value ProbeWrap::FlashReadProtection(const Napi::CallbackInfo &info)
{
    return Queue(info, [this] {
        return WithProbe([&] {
            if (probe_.attached < 0) return NeedAttached(&probe_);
            flash_rdp rdp;
            bmp_status s = flash_read_protection(&probe_, &rdp);
            if (s != BMP_OK) return Outcome::Status(s);
            return Outcome::Ok([rdp](Napi::Env env) -> Napi::Value {
                Napi::Object o = Napi::Object::New(env);
                o.Set("level", Napi::Number::New(env, rdp.level));
                if (rdp.has_byte) o.Set("rdp", Napi::Number::New(env, rdp.byte));
                return o;
            });
        });
    });
}

// flashRdpRegress(): read-out protection level 1 back to 0, which mass-erases the flash.
Napi::Value ProbeWrap::FlashRdpRegress(const Napi::CallbackInfo &info)
{
    return Queue(info, [this] {
        return WithProbe([&] {
            if (probe_.attached < 0) return NeedAttached(&probe_);
            return Outcome::Status(flash_rdp_regress(&probe_));
        });
    });
}

// close(): stops the session thread (pending calls are dropped); later calls reject with ECLOSED.
Napi::Value ProbeWrap::Close(const Napi::CallbackInfo &info)
{
    if (worker_) worker_->Stop();
    return info.Env().Undefined();
}

} // namespace bmp
