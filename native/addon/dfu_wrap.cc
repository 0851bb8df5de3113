#include "dfu_wrap.h"

#include <cstring>

#include "args.h"
#include "errors.h"

namespace bmp {

namespace {

const struct {
    const char *name;
    sim_dfu_fault fault;
} kFaults[] = {
    {"none", SIM_DFU_FAULT_NONE},
    {"stall", SIM_DFU_FAULT_STALL},
    {"disconnect", SIM_DFU_FAULT_DISCONNECT},
    {"errTARGET", SIM_DFU_FAULT_ERR_TARGET},
    {"errVERIFY", SIM_DFU_FAULT_ERR_VERIFY},
    {"errCHECK_ERASED", SIM_DFU_FAULT_ERR_CHECK_ERASED},
};

// o[key] as an unsigned integer no larger than max; throws and returns false otherwise.
bool Field(Napi::Object o, const char *key, uint32_t max, uint32_t *out)
{
    return ToU32(o.Env(), o.Get(key), key, max, out);
}

bool StringField(Napi::Object o, const char *key, std::string *out)
{
    Napi::Value v = o.Get(key);
    if (!v.IsString()) {
        ThrowTypeWithCode(o.Env(), "EINVAL", std::string(key) + " must be a string");
        return false;
    }
    *out = v.As<Napi::String>().Utf8Value();
    return true;
}

} // namespace

Napi::Object DfuWrap::Init(Napi::Env env, Napi::Object exports)
{
    Napi::Function cls = DefineClass(env, "VirtualDfu",
                                     {
                                         InstanceMethod<&DfuWrap::Control>("control"),
                                         InstanceMethod<&DfuWrap::ReadFlash>("readFlash"),
                                         InstanceMethod<&DfuWrap::WriteFlash>("writeFlash"),
                                         InstanceMethod<&DfuWrap::SetFault>("setFault"),
                                         InstanceMethod<&DfuWrap::Reconnect>("reconnect"),
                                         InstanceMethod<&DfuWrap::BootDecision>("bootDecision"),
                                         InstanceMethod<&DfuWrap::AltString>("altString"),
                                         InstanceAccessor<&DfuWrap::State>("state"),
                                     });
    exports.Set("VirtualDfu", cls);
    return exports;
}

// new VirtualDfu({ vid, pid, bcdDevice, manufacturer, product, serial, highSpeed, name, base,
//                  sectors: [{ count, size, eraseMs }], transferSize, programUnit, programMsPerKiB,
//                  attributes, flashBase, flashSize })
DfuWrap::DfuWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<DfuWrap>(info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
        ThrowTypeWithCode(env, "EINVAL", "VirtualDfu needs an options object");
        return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    uint32_t vid, pid, bcd, base, transfer, unit, per_kib, attributes, flash_base, flash_size;
    if (!Field(o, "vid", 0xFFFF, &vid) || !Field(o, "pid", 0xFFFF, &pid) || !Field(o, "bcdDevice", 0xFFFF, &bcd) ||
        !Field(o, "base", 0xFFFFFFFFu, &base) || !Field(o, "transferSize", DFU_MAX_TRANSFER, &transfer) ||
        !Field(o, "programUnit", DFU_MAX_TRANSFER, &unit) || !Field(o, "programMsPerKiB", 100000, &per_kib) ||
        !Field(o, "attributes", 0xFF, &attributes) || !Field(o, "flashBase", 0xFFFFFFFFu, &flash_base) ||
        !Field(o, "flashSize", 64u << 20, &flash_size))
        return;
    if (!StringField(o, "name", &name_) || !StringField(o, "manufacturer", &manufacturer_) ||
        !StringField(o, "product", &product_) || !StringField(o, "serial", &serial_))
        return;
    Napi::Value sv = o.Get("sectors");
    if (!sv.IsArray() || sv.As<Napi::Array>().Length() == 0 || sv.As<Napi::Array>().Length() > DFU_MAX_SECTOR_GROUPS) {
        ThrowTypeWithCode(env, "EINVAL", "sectors must be an array of 1 to 8 groups");
        return;
    }
    Napi::Array sa = sv.As<Napi::Array>();
    sim_dfu_config c;
    memset(&c, 0, sizeof c);
    for (uint32_t i = 0; i < sa.Length(); i++) {
        if (!sa.Get(i).IsObject()) {
            ThrowTypeWithCode(env, "EINVAL", "a sector group must be an object");
            return;
        }
        Napi::Object g = sa.Get(i).As<Napi::Object>();
        uint32_t count, size, ms;
        if (!Field(g, "count", 0xFFFF, &count) || !Field(g, "size", 0xFFFFFFFFu, &size) ||
            !Field(g, "eraseMs", 0xFFFFFF, &ms))
            return;
        c.sectors[i] = {static_cast<uint16_t>(count), size, ms};
    }
    flash_.assign(flash_size, 0xFF);
    c.desc = {static_cast<uint16_t>(vid),  static_cast<uint16_t>(pid), static_cast<uint16_t>(bcd),
              manufacturer_.c_str(), product_.c_str(), serial_.c_str(), o.Get("highSpeed").ToBoolean()};
    c.dfu = {name_.c_str(), base, c.sectors, static_cast<uint8_t>(sa.Length()), static_cast<uint16_t>(transfer),
             static_cast<uint16_t>(unit), per_kib, static_cast<uint8_t>(attributes), nullptr};
    c.flash_base = flash_base;
    c.flash_size = flash_size;
    c.flash = flash_.data();
    if (!sim_dfu_init(&dev_, &c)) {
        ThrowWithCode(env, "ERANGE", "the DFU region, sectors, transfer size or program unit cannot work");
        return;
    }
    ready_ = true;
}

// control(setup: Uint8Array(8), out: Uint8Array | null): { result: 'ok' | 'stall' | 'gone', data? }
// With an IN request (bit 7 of bmRequestType) the data stage is up to wLength bytes.
Napi::Value DfuWrap::Control(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    Napi::Uint8Array setup;
    if (!ArgBytes(info, 0, "setup", &setup)) return env.Undefined();
    if (setup.ByteLength() != 8) return ThrowWithCode(env, "ERANGE", "setup must be 8 bytes");
    const uint8_t *s = setup.Data();
    uint16_t length = static_cast<uint16_t>(s[6] | s[7] << 8);
    std::vector<uint8_t> data(length ? length : 1);
    bool in = (s[0] & 0x80u) != 0;
    if (!in && length) {
        Napi::Uint8Array out;
        if (!ArgBytes(info, 1, "data", &out)) return env.Undefined();
        if (out.ByteLength() != length) return ThrowWithCode(env, "ERANGE", "the data must be wLength bytes");
        memcpy(data.data(), out.Data(), length);
    }
    uint16_t got = 0;
    sim_dfu_result r = sim_dfu_control(&dev_, s, data.data(), &got);
    Napi::Object result = Napi::Object::New(env);
    result.Set("result", r == SIM_DFU_OK ? "ok" : r == SIM_DFU_STALL ? "stall" : "gone");
    if (r == SIM_DFU_OK && in) {
        Napi::Uint8Array d = Napi::Uint8Array::New(env, got);
        memcpy(d.Data(), data.data(), got);
        result.Set("data", d);
    }
    return result;
}

bool DfuWrap::InFlash(Napi::Env env, uint32_t address, uint32_t length)
{
    uint32_t base = dev_.config.flash_base, size = dev_.config.flash_size;
    if (address < base || address - base > size || length > size - (address - base)) {
        ThrowWithCode(env, "ERANGE", "the range is outside the modelled flash");
        return false;
    }
    return true;
}

// readFlash(address, length): Uint8Array (a copy; the model's bytes, not through the device)
Napi::Value DfuWrap::ReadFlash(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    uint32_t address, length;
    if (!ArgU32(info, 0, "address", &address) || !ArgU32(info, 1, "length", &length)) return env.Undefined();
    if (!InFlash(env, address, length)) return env.Undefined();
    Napi::Uint8Array out = Napi::Uint8Array::New(env, length);
    memcpy(out.Data(), &flash_[address - dev_.config.flash_base], length);
    return out;
}

// writeFlash(address, bytes): sets the model's bytes directly (what a board held before)
Napi::Value DfuWrap::WriteFlash(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    uint32_t address;
    Napi::Uint8Array bytes;
    if (!ArgU32(info, 0, "address", &address) || !ArgBytes(info, 1, "bytes", &bytes)) return env.Undefined();
    if (!InFlash(env, address, static_cast<uint32_t>(bytes.ByteLength()))) return env.Undefined();
    memcpy(&flash_[address - dev_.config.flash_base], bytes.Data(), bytes.ByteLength());
    return env.Undefined();
}

// setFault(kind, at): kind 'none' | 'stall' | 'disconnect' | 'errTARGET' | 'errVERIFY' | 'errCHECK_ERASED'
Napi::Value DfuWrap::SetFault(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) return ThrowTypeWithCode(env, "EINVAL", "the fault must be a string");
    std::string kind = info[0].As<Napi::String>().Utf8Value();
    uint32_t at = 1;
    if (info.Length() > 1 && !ArgU32(info, 1, "at", &at)) return env.Undefined();
    for (const auto &f : kFaults) {
        if (kind == f.name) {
            sim_dfu_set_fault(&dev_, f.fault, at);
            return env.Undefined();
        }
    }
    return ThrowWithCode(env, "EINVAL", "unknown fault: " + kind);
}

Napi::Value DfuWrap::Reconnect(const Napi::CallbackInfo &info)
{
    sim_dfu_reconnect(&dev_);
    return info.Env().Undefined();
}

// bootDecision({ appBase, appSize, ramBase, ramSize, boardTag, request, button }): string
Napi::Value DfuWrap::BootDecision(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) return ThrowTypeWithCode(env, "EINVAL", "bootDecision needs an object");
    Napi::Object o = info[0].As<Napi::Object>();
    dfu_boot_inputs in;
    memset(&in, 0, sizeof in);
    if (!Field(o, "appBase", 0xFFFFFFFFu, &in.app_base) || !Field(o, "appSize", 0xFFFFFFFFu, &in.app_size) ||
        !Field(o, "ramBase", 0xFFFFFFFFu, &in.ram_base) || !Field(o, "ramSize", 0xFFFFFFFFu, &in.ram_size) ||
        !Field(o, "boardTag", 0xFFFFFFFFu, &in.board_tag) || !Field(o, "request", 0xFFFFFFFFu, &in.request))
        return env.Undefined();
    in.button = o.Get("button").ToBoolean();
    dfu_boot_decision decision;
    if (!sim_dfu_boot_decision(&dev_, &in, &decision))
        return ThrowWithCode(env, "ERANGE", "the application region is outside the modelled flash");
    return Napi::String::New(env, dfu_boot_decision_name(decision));
}

Napi::Value DfuWrap::AltString(const Napi::CallbackInfo &info)
{
    char s[DFU_ALT_STRING_MAX + 1];
    if (!dfu_alt_string(&dev_.config.dfu, s, sizeof s)) return ThrowWithCode(info.Env(), "ERANGE", "the layout string is too long");
    return Napi::String::New(info.Env(), s);
}

// state: { state, status, stateName, statusName, pointer, connected, left, blocks, erases, programs, outside }
Napi::Value DfuWrap::State(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("state", static_cast<double>(dev_.device.state));
    o.Set("status", static_cast<double>(dev_.device.status));
    o.Set("stateName", dfu_state_name(dev_.device.state));
    o.Set("statusName", dfu_status_name(dev_.device.status));
    o.Set("pointer", static_cast<double>(dev_.device.pointer));
    o.Set("connected", dev_.connected);
    o.Set("left", dev_.left);
    o.Set("blocks", static_cast<double>(dev_.blocks));
    o.Set("erases", static_cast<double>(dev_.erases));
    o.Set("programs", static_cast<double>(dev_.programs));
    o.Set("outside", static_cast<double>(dev_.outside));
    return o;
}

} // namespace bmp
