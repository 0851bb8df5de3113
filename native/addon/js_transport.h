// The transport bridge (docs/ARCHITECTURE.md, "The addon and the threads"): a dap_transport whose packets
// travel through JavaScript (node-hid, node-usb, a TCP socket, a test double). The session
// thread hands each packet to the main thread through a thread-safe function, which calls the
// JavaScript `transfer(request) → Promise<response>`; the session thread waits for the response
// on a condition variable, with a timeout. Packets may be submitted ahead of their responses up
// to the probe's packet count (cmsis_dap_link pipelines), and responses are taken in order.
#pragma once
#include <napi.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "tsfn_life.h"

extern "C" {
#include "link/cmsis_dap_link.h"
}

namespace bmp {

class JsTransport {
public:
    // `transfer` is called on the main thread with a Uint8Array and must return a Uint8Array or a
    // Promise of one. `timeout_ms` bounds each wait for a response.
    JsTransport(Napi::Env env, Napi::Function transfer, unsigned in_flight, unsigned timeout_ms);
    ~JsTransport();
    JsTransport(const JsTransport &) = delete;
    JsTransport &operator=(const JsTransport &) = delete;

    const dap_transport *Transport() const { return &transport_; }
    // Wakes a waiting session thread with a failure (shutdown); later transfers fail at once.
    void Abort();
    // Why the last transfer failed: "timeout", "aborted", or the JavaScript error's message.
    std::string LastError();
    bool TimedOut();

    struct Shared; // state shared with the main thread's callbacks, which may outlive a wait
    struct Request {
        uint64_t seq;
        std::vector<uint8_t> bytes;
        std::shared_ptr<Shared> shared;
    };

private:
    static int Exchange(void *ctx, const uint8_t *request, size_t length, uint8_t *response, size_t capacity);
    static int Submit(void *ctx, const uint8_t *request, size_t length);
    static int Collect(void *ctx, uint8_t *response, size_t capacity);
    static void CallJs(Napi::Env env, Napi::Function transfer, void *, Request *request);

    dap_transport transport_{};
    std::shared_ptr<Shared> shared_;
    Napi::TypedThreadSafeFunction<void, Request, &JsTransport::CallJs> call_;
    TsfnLifePtr call_life_ = std::make_shared<TsfnLife>();
    unsigned timeout_ms_;
    uint64_t next_submit_ = 0;  // session thread only
    uint64_t next_collect_ = 0;
};

} // namespace bmp
