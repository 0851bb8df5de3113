#include "sim_wrap.h"

#include <cstdio>
#include <string>

#include "addon_data.h"
#include "args.h"
#include "errors.h"

namespace bmp {

namespace {

std::string Hex(uint32_t value)
{
    char buf[16];
    snprintf(buf, sizeof buf, "0x%08x", value);
    return buf;
}

bool ValidSize(uint32_t size)
{
    return size == 1 || size == 2 || size == 4;
}

} // namespace

Napi::Object SimWrap::Init(Napi::Env env, Napi::Object exports)
{
    Napi::Function cls = DefineClass(
        env, "Sim",
        {
            StaticMethod<&SimWrap::Profiles>("profiles"),
            InstanceMethod<&SimWrap::Close>("close"),
            InstanceMethod<&SimWrap::DpTransfer>("dpTransfer"),
            InstanceMethod<&SimWrap::WireOut>("wireOut"),
            InstanceMethod<&SimWrap::WireIn>("wireIn"),
            InstanceMethod<&SimWrap::BusRead>("busRead"),
            InstanceMethod<&SimWrap::BusWrite>("busWrite"),
            InstanceMethod<&SimWrap::Load>("load"),
            InstanceMethod<&SimWrap::Peek>("peek"),
            InstanceMethod<&SimWrap::Advance>("advance"),
            InstanceMethod<&SimWrap::Reset>("reset"),
            InstanceMethod<&SimWrap::SetNrst>("setNrst"),
            InstanceMethod<&SimWrap::InjectFault>("injectFault"),
            InstanceMethod<&SimWrap::SetClocks>("setClocks"),
            InstanceMethod<&SimWrap::State>("state"),
            InstanceMethod<&SimWrap::SetOptionBytes>("setOptionBytes"),
            InstanceMethod<&SimWrap::OptionBytes>("optionBytes"),
        });
    AddonData::Of(env).sim = Napi::Persistent(cls);
    exports.Set("Sim", cls);
    return exports;
}

SimWrap::SimWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<SimWrap>(info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
        ThrowTypeWithCode(env, "EINVAL", "profile name must be a string");
        return;
    }
    std::string profile = info[0].As<Napi::String>().Utf8Value();
    target_ = new sim_target;
    sim_status status = sim_target_init(target_, profile.c_str());
    if (status != SIM_OK) {
        delete target_;
        target_ = nullptr;
        if (status == SIM_ERR_PROFILE)
            ThrowWithCode(env, "EPROFILE", "unknown simulated profile '" + profile + "'");
        else
            ThrowWithCode(env, "ENOMEM", "cannot allocate the simulated target");
    }
}

SimWrap::~SimWrap()
{
    if (target_) {
        sim_target_free(target_);
        delete target_;
    }
}

SimAccess SimWrap::Target(const Napi::CallbackInfo &info)
{
    SimAccess access(mutex_, target_);
    if (!target_) ThrowWithCode(info.Env(), "ECLOSED", "the simulated target is closed");
    return access;
}

Napi::Value SimWrap::Profiles(const Napi::CallbackInfo &info)
{
    Napi::Array list = Napi::Array::New(info.Env());
    for (unsigned i = 0; sim_profile_at(i); i++) {
        const sim_profile *p = sim_profile_at(i);
        Napi::Object o = Napi::Object::New(info.Env());
        o.Set("name", p->name);
        o.Set("part", p->part);
        o.Set("dpidr", Napi::Number::New(info.Env(), p->dpidr));
        o.Set("cpuid", Napi::Number::New(info.Env(), p->cpuid));
        o.Set("idcode", Napi::Number::New(info.Env(), p->dbgmcu_idcode));
        o.Set("flashBase", Napi::Number::New(info.Env(), p->flash_base));
        o.Set("flashSize", Napi::Number::New(info.Env(), p->flash_size));
        o.Set("hasFpu", Napi::Boolean::New(info.Env(), p->has_fpu));
        list.Set(i, o);
    }
    return list;
}

Napi::Value SimWrap::Close(const Napi::CallbackInfo &info)
{
    std::lock_guard<std::mutex> hold(mutex_); // a probe's session thread may be using it
    if (target_) {
        sim_target_free(target_);
        delete target_;
        target_ = nullptr;
    }
    return info.Env().Undefined();
}

// dpTransfer(ap: boolean, read: boolean, addr: 0|4|8|12, data?: number) -> { ack, data }
Napi::Value SimWrap::DpTransfer(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    if (!t) return info.Env().Undefined();
    uint32_t addr = 0, data = 0;
    if (info.Length() < 2 || !info[0].IsBoolean() || !info[1].IsBoolean())
        return ThrowTypeWithCode(info.Env(), "EINVAL", "ap and read must be booleans");
    if (!ArgU32(info, 2, "addr", &addr, 12)) return info.Env().Undefined();
    if (addr & 3) return ThrowWithCode(info.Env(), "ERANGE", "addr must be 0, 4, 8 or 12");
    bool read = info[1].As<Napi::Boolean>();
    if (!read && !ArgU32(info, 3, "data", &data)) return info.Env().Undefined();
    unsigned ack = sim_dp_transfer(t, info[0].As<Napi::Boolean>(), read, addr, &data);
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("ack", Napi::Number::New(info.Env(), ack));
    result.Set("data", Napi::Number::New(info.Env(), read ? data : 0));
    return result;
}

Napi::Value SimWrap::WireOut(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    uint32_t bits = 0, count = 0;
    if (!t || !ArgU32(info, 0, "bits", &bits) || !ArgU32(info, 1, "count", &count, 32))
        return info.Env().Undefined();
    if (count == 0) return ThrowWithCode(info.Env(), "ERANGE", "count must be 1 to 32");
    sim_wire_out(t, bits, count);
    return info.Env().Undefined();
}

Napi::Value SimWrap::WireIn(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    uint32_t count = 0;
    if (!t || !ArgU32(info, 0, "count", &count, 32)) return info.Env().Undefined();
    if (count == 0) return ThrowWithCode(info.Env(), "ERANGE", "count must be 1 to 32");
    return Napi::Number::New(info.Env(), sim_wire_in(t, count));
}

// busRead(addr, size) as the debugger sees the bus; throws EBUSFAULT.
Napi::Value SimWrap::BusRead(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    uint32_t addr = 0, size = 0, value = 0;
    if (!t || !ArgU32(info, 0, "addr", &addr) || !ArgU32(info, 1, "size", &size, 4))
        return info.Env().Undefined();
    if (!ValidSize(size)) return ThrowWithCode(info.Env(), "ERANGE", "size must be 1, 2 or 4");
    if (sim_bus_read(t, addr, size, &value, SIM_MASTER_DEBUG) != SIM_BUS_OK)
        return ThrowWithCode(info.Env(), "EBUSFAULT", "bus fault reading " + Hex(addr));
    return Napi::Number::New(info.Env(), value);
}

Napi::Value SimWrap::BusWrite(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    uint32_t addr = 0, size = 0, value = 0;
    if (!t || !ArgU32(info, 0, "addr", &addr) || !ArgU32(info, 1, "size", &size, 4) ||
        !ArgU32(info, 2, "value", &value))
        return info.Env().Undefined();
    if (!ValidSize(size)) return ThrowWithCode(info.Env(), "ERANGE", "size must be 1, 2 or 4");
    if (sim_bus_write(t, addr, size, value, SIM_MASTER_DEBUG) != SIM_BUS_OK)
        return ThrowWithCode(info.Env(), "EBUSFAULT", "bus fault writing " + Hex(addr));
    return info.Env().Undefined();
}

Napi::Value SimWrap::Load(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    uint32_t addr = 0;
    Napi::Uint8Array bytes;
    if (!t || !ArgU32(info, 0, "addr", &addr) || !ArgBytes(info, 1, "data", &bytes))
        return info.Env().Undefined();
    if (sim_target_load(t, addr, bytes.Data(), bytes.ByteLength()) != SIM_OK)
        return ThrowWithCode(info.Env(), "ERANGE", "the range is not backed by memory");
    return info.Env().Undefined();
}

Napi::Value SimWrap::Peek(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    uint32_t addr = 0, length = 0;
    if (!t || !ArgU32(info, 0, "addr", &addr) ||
        !ArgU32(info, 1, "length", &length, 64u << 20))
        return info.Env().Undefined();
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), length);
    if (sim_target_peek(t, addr, out.Data(), length) != SIM_OK)
        return ThrowWithCode(info.Env(), "ERANGE", "the range is not backed by memory");
    return out;
}

// advance(nanoseconds): lets virtual time pass.
Napi::Value SimWrap::Advance(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    if (!t) return info.Env().Undefined();
    if (info.Length() < 1 || !info[0].IsNumber())
        return ThrowTypeWithCode(info.Env(), "EINVAL", "nanoseconds must be a number");
    double ns = info[0].As<Napi::Number>().DoubleValue();
    if (!(ns >= 0 && ns <= 3.6e12))
        return ThrowWithCode(info.Env(), "ERANGE", "nanoseconds must be from 0 to one hour");
    sim_target_advance(t, static_cast<uint64_t>(ns * 1000.0));
    return info.Env().Undefined();
}

Napi::Value SimWrap::Reset(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    if (!t) return info.Env().Undefined();
    std::string kind = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    if (kind == "power-on") sim_target_reset(t, SIM_RESET_POWER_ON);
    else if (kind == "system") sim_target_reset(t, SIM_RESET_SYSTEM);
    else if (kind == "core") sim_target_reset(t, SIM_RESET_CORE);
    else return ThrowWithCode(info.Env(), "EINVAL", "reset kind must be 'power-on', 'system' or 'core'");
    return info.Env().Undefined();
}

Napi::Value SimWrap::SetNrst(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    if (!t) return info.Env().Undefined();
    if (info.Length() < 1 || !info[0].IsBoolean())
        return ThrowTypeWithCode(info.Env(), "EINVAL", "low must be a boolean");
    sim_target_set_nrst(t, info[0].As<Napi::Boolean>());
    return info.Env().Undefined();
}

Napi::Value SimWrap::InjectFault(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    uint32_t count = 0;
    if (!t) return info.Env().Undefined();
    std::string kind = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    if (info.Length() > 1 && !ArgU32(info, 1, "count", &count)) return info.Env().Undefined();
    uint32_t after = 0;
    if (info.Length() > 2 && !info[2].IsUndefined() && !ArgU32(info, 2, "after", &after)) return info.Env().Undefined();
    if (kind == "wait") sim_fault_inject(t, SIM_FAULT_WAIT, count);
    else if (kind == "fault") sim_fault_inject(t, SIM_FAULT_FAULT, count);
    else if (kind == "no-ack") sim_fault_inject(t, SIM_FAULT_NO_ACK, count);
    else if (kind == "sticky-orun") sim_fault_inject(t, SIM_FAULT_STICKY_ORUN, count);
    else if (kind == "clear") sim_fault_inject(t, SIM_FAULT_CLEAR, 0);
    else if (kind == "flash-error") sim_flash_inject_error(t);
    else if (kind == "target-reset") sim_target_reset(t, SIM_RESET_SYSTEM);
    else
        return ThrowWithCode(info.Env(), "EINVAL",
                             "fault kind must be one of wait, fault, no-ack, sticky-orun, clear, "
                             "flash-error, target-reset");
    if (after) sim_fault_defer(t, after); /* the injected faults act after that many transfers */
    return info.Env().Undefined();
}

// setClocks({ swdHz?, coreHz? })
Napi::Value SimWrap::SetClocks(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    if (!t) return info.Env().Undefined();
    if (info.Length() < 1 || !info[0].IsObject())
        return ThrowTypeWithCode(info.Env(), "EINVAL", "clocks must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    auto get = [&](const char *key, uint32_t *out) -> bool {
        Napi::Value v = o.Get(key);
        if (v.IsUndefined()) return true;
        uint32_t hz = 0;
        if (!ToU32(info.Env(), v, key, 1000000000u, &hz)) return false;
        if (hz < 1000) {
            ThrowWithCode(info.Env(), "ERANGE", std::string(key) + " must be from 1 kHz to 1 GHz");
            return false;
        }
        *out = hz;
        return true;
    };
    uint32_t swd = t->dp.swd_hz, core = t->core_hz;
    if (!get("swdHz", &swd) || !get("coreHz", &core)) return info.Env().Undefined();
    t->dp.swd_hz = swd;
    t->core_hz = core;
    return info.Env().Undefined();
}

Napi::Value SimWrap::State(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    if (!t) return info.Env().Undefined();
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("profile", t->profile->name);
    o.Set("nowPs", Napi::BigInt::New(env, static_cast<uint64_t>(t->now_ps)));
    o.Set("cycles", Napi::BigInt::New(env, static_cast<uint64_t>(t->cpu.cycles)));
    o.Set("halted", Napi::Boolean::New(env, t->core.halted));
    o.Set("sleeping", Napi::Boolean::New(env, t->core.sleeping));
    o.Set("lockup", Napi::Boolean::New(env, t->core.lockup));
    o.Set("resetCount", Napi::Number::New(env, t->reset_count));
    o.Set("watchdogResets", Napi::Number::New(env, t->iwdg.bites));
    o.Set("coreHz", Napi::Number::New(env, t->core_hz));
    o.Set("swdHz", Napi::Number::New(env, t->dp.swd_hz));
    uint32_t pc = 0;
    sim_cpu_read_reg(t, SIM_REG_PC, &pc);
    o.Set("pc", Napi::Number::New(env, pc));
    return o;
}

// setOptionBytes({ rdp }): the option bytes as if programmed before this power-up, in effect now
// (read-out protection: sim_flash.h). ENOTSUP on a part without the model (the F1).
Napi::Value SimWrap::SetOptionBytes(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    if (!t) return info.Env().Undefined();
    if (info.Length() < 1 || !info[0].IsObject())
        return ThrowTypeWithCode(info.Env(), "EINVAL", "option bytes must be an object");
    Napi::Value rdp = info[0].As<Napi::Object>().Get("rdp");
    uint32_t value = 0;
    if (rdp.IsUndefined()) return info.Env().Undefined();
    if (!ToU32(info.Env(), rdp, "rdp", 0xFF, &value)) return info.Env().Undefined();
    if (!sim_flash_set_rdp(t, static_cast<uint8_t>(value)))
        return ThrowWithCode(info.Env(), "ENOTSUP", std::string("the ") + t->profile->name + " model has no read-out protection");
    return info.Env().Undefined();
}

// optionBytes(): { rdp, rdpProgrammed, level }: the RDP byte in effect, the one programmed (they
// differ on F4/F7 parts from an option change to the next reset), and the level in effect.
Napi::Value SimWrap::OptionBytes(const Napi::CallbackInfo &info)
{
    SimAccess t = Target(info);
    if (!t) return info.Env().Undefined();
    uint8_t loaded = 0, programmed = 0;
    if (!sim_flash_get_rdp(t, &loaded, &programmed))
        return ThrowWithCode(info.Env(), "ENOTSUP", std::string("the ") + t->profile->name + " model has no read-out protection");
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("rdp", Napi::Number::New(info.Env(), loaded));
    o.Set("rdpProgrammed", Napi::Number::New(info.Env(), programmed));
    o.Set("level", Napi::Number::New(info.Env(), sim_flash_rdp_level(t)));
    return o;
}

} // namespace bmp
