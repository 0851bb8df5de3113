#include "gdb_wrap.h"

#include <cstring>

#include "addon_data.h"
#include "args.h"
#include "errors.h"

namespace bmp {

Napi::Object GdbWrap::Init(Napi::Env env, Napi::Object exports)
{
    Napi::Function cls = DefineClass(env, "GdbSession",
                                     {
                                         InstanceMethod<&GdbWrap::Input>("input"),
                                         InstanceMethod<&GdbWrap::Poll>("poll"),
                                         InstanceMethod<&GdbWrap::Disconnect>("disconnect"),
                                         InstanceMethod<&GdbWrap::Configure>("configure"),
                                     });
    AddonData::Of(env).gdb_session = Napi::Persistent(cls);
    exports.Set("GdbSession", cls);
    return exports;
}

// new GdbSession(probe)
GdbWrap::GdbWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<GdbWrap>(info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !IsInstance(info[0], AddonData::Of(env).probe)) {
        ThrowTypeWithCode(env, "EINVAL", "GdbSession needs a Probe");
        return;
    }
    probe_ = ProbeWrap::Unwrap(info[0].As<Napi::Object>());
    probe_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    server_.reset(new gdb_server);
    gdb_server_init(server_.get(), probe_->State(), &GdbWrap::Output, this);
    // `load` collects the image here and programs it at vFlashDone in long runs.
    flash_image_.resize(2u << 20);
    gdb_server_set_flash_buffer(server_.get(), flash_image_.data(), flash_image_.size());
}

void GdbWrap::Output(void *ctx, const uint8_t *data, size_t length)
{
    auto *self = static_cast<GdbWrap *>(ctx);
    self->out_.insert(self->out_.end(), data, data + length);
}

Outcome GdbWrap::Result()
{
    auto bytes = std::make_shared<std::vector<uint8_t>>(std::move(out_));
    out_.clear();
    bool running = server_->run == GDB_RUNNING;
    bool attached = probe_->State()->attached >= 0;
    return Outcome::Ok([bytes, running, attached](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        Napi::Uint8Array a = Napi::Uint8Array::New(env, bytes->size());
        if (!bytes->empty()) memcpy(a.Data(), bytes->data(), bytes->size());
        o.Set("output", a);
        o.Set("running", Napi::Boolean::New(env, running));
        o.Set("attached", Napi::Boolean::New(env, attached));
        return o;
    });
}

// input(bytes): { output, running, attached }
Napi::Value GdbWrap::Input(const Napi::CallbackInfo &info)
{
    std::shared_ptr<std::vector<uint8_t>> bytes;
    if (!ArgBytesCopy(info, 0, "input", &bytes)) return info.Env().Undefined();
    if (!probe_->Worker()) return ThrowWithCode(info.Env(), "ECLOSED", "the probe is closed");
    return probe_->Worker()->Run(info.Env(), [this, bytes] {
        return probe_->WithProbe([&] {
            gdb_server_input(server_.get(), bytes->data(), bytes->size());
            return Result();
        });
    });
}

// poll(runNs): a simulated target runs up to runNs (in 1 ms slices, stopping when it halts);
// then { output, running }.
Napi::Value GdbWrap::Poll(const Napi::CallbackInfo &info)
{
    double ns = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    if (!(ns >= 0 && ns <= 1e10)) return ThrowWithCode(info.Env(), "ERANGE", "runNs must be 0 to 10 s");
    uint64_t budget = static_cast<uint64_t>(ns);
    if (!probe_->Worker()) return ThrowWithCode(info.Env(), "ECLOSED", "the probe is closed");
    return probe_->Worker()->Run(info.Env(), [this, budget] {
        return probe_->WithProbe([&] {
            uint64_t left = budget;
            bool running = gdb_server_poll(server_.get());
            while (running && left > 0 && probe_->Simulated()) {
                uint64_t slice = left < 1000000 ? left : 1000000;
                probe_->AdvanceSim(slice);
                left -= slice;
                running = gdb_server_poll(server_.get());
            }
            return Result();
        });
    });
}

Napi::Value GdbWrap::Disconnect(const Napi::CallbackInfo &info)
{
    if (!probe_->Worker()) return ThrowWithCode(info.Env(), "ECLOSED", "the probe is closed");
    return probe_->Worker()->Run(info.Env(), [this] {
        return probe_->WithProbe([&] {
            gdb_server_disconnect(server_.get());
            return Result();
        });
    });
}

// configure({ connectUnderReset }): options from the command line, before any client connects.
Napi::Value GdbWrap::Configure(const Napi::CallbackInfo &info)
{
    if (info.Length() < 1 || !info[0].IsObject()) return ThrowTypeWithCode(info.Env(), "EINVAL", "configure needs an object");
    Napi::Object o = info[0].As<Napi::Object>();
    bool rst = o.Get("connectUnderReset").ToBoolean();
    if (!probe_->Worker()) return ThrowWithCode(info.Env(), "ECLOSED", "the probe is closed");
    return probe_->Worker()->Run(info.Env(), [this, rst] {
        server_->connect_under_reset = rst;
        return Outcome::Ok();
    });
}

} // namespace bmp
