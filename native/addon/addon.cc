// Module entry point of the native addon: registers the classes, once per environment.
#include <napi.h>

#include "addon_data.h"
#include "dap_wrap.h"
#include "dfu_wrap.h"
#include "gdb_wrap.h"
#include "probe_wrap.h"
#include "sim_wrap.h"

static Napi::Object InitModule(Napi::Env env, Napi::Object exports)
{
    env.SetInstanceData(new bmp::AddonData); // deleted with the environment
    bmp::SimWrap::Init(env, exports);
    bmp::DapWrap::Init(env, exports);
    bmp::ProbeWrap::Init(env, exports);
    bmp::GdbWrap::Init(env, exports);
    bmp::DfuWrap::Init(env, exports);
    return exports;
}

NODE_API_MODULE(bmp_native, InitModule)
