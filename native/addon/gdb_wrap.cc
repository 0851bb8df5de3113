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
                                         InstanceMethod<&GdbWrap::MonitorReply>("monitorReply"),
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
    // A monitor command parked for the embedding, reported once.
    uint32_t seq = 0;
    const char *request = gdb_server_monitor_request(server_.get(), &seq);
    bool parked = request && seq != reported_seq_;
    std::string command = parked ? request : "";
    if (parked) reported_seq_ = seq;
    return Outcome::Ok([bytes, running, attached, parked, seq, command](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        Napi::Uint8Array a = Napi::Uint8Array::New(env, bytes->size());
        if (!bytes->empty()) memcpy(a.Data(), bytes->data(), bytes->size());
        o.Set("output", a);
        o.Set("running", Napi::Boolean::New(env, running));
        o.Set("attached", Napi::Boolean::New(env, attached));
        if (parked) {
            Napi::Object m = Napi::Object::New(env);
            m.Set("seq", Napi::Number::New(env, seq));
            m.Set("command", Napi::String::New(env, command));
            o.Set("monitor", m);
        }
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

// configure({ connectUnderReset?, monitorCommands?: [{ name, help }], cmdline?, heapInfo? }):
// options from the command line or a script. Monitor commands can be added once, before any
// client connects; the semihosting answers (SYS_GET_CMDLINE, SYS_HEAPINFO) at any time.
Napi::Value GdbWrap::Configure(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) return ThrowTypeWithCode(env, "EINVAL", "configure needs an object");
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value rstValue = o.Get("connectUnderReset");
    int rst = rstValue.IsUndefined() ? -1 : rstValue.ToBoolean() ? 1 : 0;
    std::vector<size_t> added; // indexes into monitor_text_ of the names added now
    Napi::Value commands = o.Get("monitorCommands");
    if (!commands.IsUndefined()) {
        if (!commands.IsArray()) return ThrowTypeWithCode(env, "EINVAL", "monitorCommands must be an array");
        Napi::Array list = commands.As<Napi::Array>();
        if (list.Length() > GDB_EXTRA_MONITORS || !monitor_text_[0].empty())
            return ThrowWithCode(env, "ERANGE", "at most " + std::to_string(GDB_EXTRA_MONITORS) + " monitor commands, set once");
        for (uint32_t i = 0; i < list.Length(); i++) {
            Napi::Value item = list.Get(i);
            if (!item.IsObject() || !item.As<Napi::Object>().Get("name").IsString() || !item.As<Napi::Object>().Get("help").IsString())
                return ThrowTypeWithCode(env, "EINVAL", "each monitor command needs a name and a help text");
            monitor_text_[2 * i] = item.As<Napi::Object>().Get("name").As<Napi::String>().Utf8Value();
            monitor_text_[2 * i + 1] = item.As<Napi::Object>().Get("help").As<Napi::String>().Utf8Value();
            added.push_back(2 * i);
        }
    }
    bool setCmdline = false;
    std::string cmdline;
    Napi::Value cmdValue = o.Get("cmdline");
    if (!cmdValue.IsUndefined()) {
        if (!cmdValue.IsString()) return ThrowTypeWithCode(env, "EINVAL", "cmdline must be a string");
        cmdline = cmdValue.As<Napi::String>().Utf8Value();
        if (cmdline.size() >= GDB_CMDLINE_SIZE || cmdline.find('\0') != std::string::npos)
            return ThrowWithCode(env, "ERANGE", "the command line must be shorter than " + std::to_string(GDB_CMDLINE_SIZE) +
                                                    " bytes, without NUL");
        setCmdline = true;
    }
    bool setHeap = false;
    std::array<uint32_t, 4> heap{};
    Napi::Value heapValue = o.Get("heapInfo");
    if (!heapValue.IsUndefined()) {
        if (!heapValue.IsArray() || heapValue.As<Napi::Array>().Length() != 4)
            return ThrowTypeWithCode(env, "EINVAL", "heapInfo must be four addresses");
        for (uint32_t i = 0; i < 4; i++)
            if (!ToU32(env, heapValue.As<Napi::Array>().Get(i), "a heapInfo address", 0xFFFFFFFFu, &heap[i])) return env.Undefined();
        setHeap = true;
    }
    if (!probe_->Worker()) return ThrowWithCode(env, "ECLOSED", "the probe is closed");
    return probe_->Worker()->Run(env, [this, rst, added, setCmdline, cmdline, setHeap, heap] {
        if (rst >= 0) server_->connect_under_reset = rst == 1;
        for (size_t i : added) {
            if (!gdb_server_add_monitor(server_.get(), monitor_text_[i].c_str(), monitor_text_[i + 1].c_str()))
                return Outcome::Error("EINVAL", "cannot add the monitor command '" + monitor_text_[i] + "' (a name of one word, not taken)");
        }
        if (setCmdline) gdb_server_set_cmdline(server_.get(), cmdline.data(), cmdline.size());
        if (setHeap) gdb_server_set_heapinfo(server_.get(), heap.data());
        return Outcome::Ok();
    });
}

// monitorReply(seq, output: string, ok): answers a parked monitor command (the `monitor` field
// of a result); then { output, running, attached } as input() gives.
Napi::Value GdbWrap::MonitorReply(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    uint32_t seq = 0;
    if (!ArgU32(info, 0, "seq", &seq)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsString()) return ThrowTypeWithCode(env, "EINVAL", "monitorReply needs the output text");
    std::string text = info[1].As<Napi::String>().Utf8Value();
    bool ok = info.Length() > 2 && info[2].ToBoolean();
    if (!probe_->Worker()) return ThrowWithCode(env, "ECLOSED", "the probe is closed");
    return probe_->Worker()->Run(env, [this, seq, text, ok] {
        return probe_->WithProbe([&] {
            gdb_server_monitor_reply(server_.get(), seq, text.data(), text.size(), ok);
            return Result();
        });
    });
}

} // namespace bmp
