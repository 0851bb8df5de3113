/* The probe firmware built for the PC, exported over USB/IP.
 *
 * The same main loop (app/app.c), USB transports (app/app_usb.c), class code (usb/usb_probe.c)
 * and Synopsys OTG driver (usb/usb_dwc2.c) as the board images; the OTG driver runs over the
 * model of the controller the firmware's tests use (test/usb/otg_model.c), and the SWD wire is
 * the simulated target's (native/sim, through sim_swd_phy), so this program debugs a simulated
 * STM32 as a board debugs a real one. The board's identity (USB IDs, strings, speed) comes from
 * its generated board_config.h (boards/<name>.json), as on the board.
 *
 * A USB/IP server on 127.0.0.1 (never beyond loopback) exports the device as bus id "1-1": a
 * Linux kernel with vhci-hcd imports it (`usbip attach -r 127.0.0.1 -b 1-1`) and enumerates it
 * with its own drivers. Each URB becomes transactions on the model's endpoints, as a host
 * controller would make them: control transfers in three stages, bulk and interrupt transfers
 * packet by packet until a short packet, NAKed ones retried on later turns of the loop.
 *
 * The target UART (CDC-ACM 1) is bridged to a pseudo-terminal whose name is printed: the
 * simulated parts have no UART peripheral, so the pty stands for the target's wires.
 *
 *   bmp-usbip-probe-<board> [--port N] [--sim <profile>] [--image <file.bin>]
 *
 * One line on stdout when ready: "ready: USB/IP on 127.0.0.1:<port> busid 1-1; target UART
 * <pty>". The program runs until killed. SIGUSR1 prints the traffic so far as one line,
 * 'stats: {"packets": N, "bytes": N, "dap_requests": N}' (data packets on the endpoints other
 * than 0, CMSIS-DAP request transfers). POSIX (sockets, poll, pty): a test tool, not core code. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "app/app_usb.h"
#include "board_config.h"
#include "otg_model.h"
#include "sim_swd_phy.h"
#include "sim_target.h"
#include "usb/usb_dwc2.h"
#include "usb/usb_phyc_f72x.h"
#include "usb/usb_probe.h"
#include "usb/usb_probe_desc.h"
#include "usb_host.h"
#include "usbip_proto.h"

#define ADDRESS 1u              /* the address the device has when it is exported */
#define MAX_URBS 64u
#define SIM_SLICE_PS (SIM_PS_PER_SECOND / 1000u) /* the target runs 1 ms per turn under GDB */
#define UART_PORT 1u

typedef struct urb {
    bool used;
    uint32_t seqnum;
    uint8_t ep;       /* endpoint number */
    bool in;
    uint32_t flags;
    uint32_t length;  /* transfer_buffer_length */
    uint32_t done;
    bool zlp_sent;
    uint8_t *data;
} urb;

static struct {
    otg_model otg;
    phyc_model phyc;
    usb_dwc2 dwc2;
    usb_host host;
    usbip_device device;
    uint16_t max_packet[2][16]; /* [in][ep] from the configuration descriptor */
    sim_target target;
    swd_phy phy;
    app app;
    int listener, client, pty;
    uint8_t rx[USBIP_URB_HEADER_SIZE + 65536];
    size_t rx_length;
    bool imported;
    urb urbs[MAX_URBS];
    bool progress; /* something moved in this turn */
    /* Traffic since start (printed on SIGUSR1, for bench/usbip.mjs): data packets and their
     * bytes on the non-control endpoints, CMSIS-DAP requests (HID and bulk OUT transfers). */
    unsigned long long packets, bytes, dap_requests;
} s;

static volatile sig_atomic_t stats_wanted;

static void on_usr1(int signal)
{
    (void)signal;
    stats_wanted = 1;
}

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)(ts.tv_sec * 1000u + ts.tv_nsec / 1000000u);
}

static void fail(const char *what)
{
    fprintf(stderr, "bmp-usbip-probe: %s\n", what);
    exit(1);
}

/* --- the device and its host side ----------------------------------------------------------- */

static bool board_phy_init(void *ctx)
{
    (void)ctx;
    return usb_phyc_f72x_init(phyc_model_base(&s.phyc), 25000000u, 0); /* the STLINK-V3MINI's HSE */
}

/* The device's own main loop, once: what the board's main does. Inside the app (a GDB reply
 * waiting for the host), only the USB task runs: the app is not reentrant. */
static void device_turn(void)
{
    static bool in_app;
    usb_probe_task();
    if (in_app) return;
    in_app = true;
    app_poll(&s.app);
    in_app = false;
    if (s.app.gdb.run == GDB_RUNNING) sim_target_advance(&s.target, SIM_SLICE_PS);
    /* The target UART: CDC-ACM 1 <-> the pty. */
    uint8_t buffer[512];
    size_t n = usb_probe_cdc_read(UART_PORT, buffer, sizeof buffer);
    if (n && write(s.pty, buffer, n) < 0 && errno != EAGAIN) n = 0;
    ssize_t got = read(s.pty, buffer, sizeof buffer);
    if (got > 0) usb_probe_cdc_write(UART_PORT, buffer, (size_t)got); /* the rest is lost, as on a UART */
}

static void pump(void *ctx)
{
    (void)ctx;
    device_turn();
}

/* Endpoint sizes and interface classes from the configuration descriptor. */
static void read_configuration(void)
{
    uint8_t d[512];
    size_t n = 0;
    if (usb_host_get_descriptor(&s.host, 1, 0, d, 18, &n) != HOST_OK || n != 18) fail("the device descriptor did not read");
    usbip_device *dev = &s.device;
    dev->vendor = (uint16_t)(d[8] | d[9] << 8);
    dev->product = (uint16_t)(d[10] | d[11] << 8);
    dev->bcd_device = (uint16_t)(d[12] | d[13] << 8);
    dev->device_class = d[4];
    dev->device_subclass = d[5];
    dev->device_protocol = d[6];
    dev->num_configurations = d[17];
    if (usb_host_get_descriptor(&s.host, 2, 0, d, sizeof d, &n) != HOST_OK || n < 9) fail("the configuration descriptor did not read");
    dev->configuration_value = 0; /* not configured until the importing host says so */
    dev->num_interfaces = 0;
    for (size_t at = 0; at + 2 <= n && d[at] >= 2; at += d[at]) {
        if (d[at + 1] == 4 && d[at + 3] == 0 && dev->num_interfaces < USBIP_MAX_INTERFACES) { /* alternate 0 */
            usbip_interface *i = &dev->interfaces[dev->num_interfaces++];
            i->class_code = d[at + 5];
            i->subclass = d[at + 6];
            i->protocol = d[at + 7];
        } else if (d[at + 1] == 5) {
            uint8_t address = d[at + 2];
            s.max_packet[address >> 7][address & 0x0Fu] = (uint16_t)((d[at + 4] | d[at + 5] << 8) & 0x7FFu);
        }
    }
}

/* As after a plug-in: bus reset, the address set (vhci-hcd never forwards SET_ADDRESS). */
static void connect_device(bool high_speed)
{
    usb_host_init(&s.host, &s.otg);
    s.host.pump = pump;
    if (!usb_host_reset(&s.host, high_speed)) fail("the device did not come up on the bus");
    if (usb_host_control(&s.host, 0x00, 5, ADDRESS, 0, 0, NULL, NULL) != HOST_OK) fail("SET_ADDRESS failed");
    s.host.address = ADDRESS;
    for (unsigned i = 0; i < 8; i++) device_turn();
}

/* --- the USB/IP connection ------------------------------------------------------------------ */

static void send_all(const uint8_t *data, size_t length)
{
    while (length && s.client >= 0) {
        ssize_t n = send(s.client, data, length, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                struct pollfd p = {s.client, POLLOUT, 0};
                poll(&p, 1, 100);
                continue;
            }
            close(s.client);
            s.client = -1;
            return;
        }
        data += n;
        length -= (size_t)n;
    }
}

static void complete(urb *u, int32_t status)
{
    uint8_t header[USBIP_URB_HEADER_SIZE];
    uint32_t actual = u->in || status == 0 ? u->done : 0;
    usbip_encode_ret_submit(header, u->seqnum, status, actual);
    send_all(header, sizeof header);
    if (u->in && actual) send_all(u->data, actual);
    free(u->data);
    memset(u, 0, sizeof *u);
    s.progress = true;
}

static void drop_all(void)
{
    for (unsigned i = 0; i < MAX_URBS; i++) {
        free(s.urbs[i].data);
        memset(&s.urbs[i], 0, sizeof s.urbs[i]);
    }
}

/* A control transfer on endpoint 0, done at once (the device answers within a few turns). */
static void control(urb *u)
{
    const uint8_t *setup = u->data + u->length; /* kept after the data */
    uint8_t type = setup[0], request = setup[1];
    uint16_t value = (uint16_t)(setup[2] | setup[3] << 8), index = (uint16_t)(setup[4] | setup[5] << 8);
    uint16_t length = (uint16_t)(setup[6] | setup[7] << 8);
    if (length > u->length) length = (uint16_t)u->length;
    size_t actual = 0;
    host_result r = usb_host_control(&s.host, type, request, value, index, length, u->data, &actual);
    u->done = (type & 0x80u) ? (uint32_t)actual : length;
    if (r == HOST_OK) {
        /* The data toggles restart where the host's stack restarts them. */
        if ((type == 0x00 && request == 9) || (type == 0x01 && request == 11))
            for (unsigned ep = 1; ep < 16; ep++) s.host.in_data1[ep] = s.host.out_data1[ep] = false;
        if (type == 0x02 && request == 1 && value == 0) usb_host_reset_toggle(&s.host, (uint8_t)index);
        if (type == 0x00 && request == 9) s.device.configuration_value = (uint8_t)value;
    }
    complete(u, r == HOST_OK ? 0 : r == HOST_STALL ? -32 /* EPIPE */ : -110 /* ETIMEDOUT */);
}

/* The oldest pending URB of an endpoint (the kernel's queue order is its seqnum order). */
static urb *oldest(bool in, uint8_t ep)
{
    urb *first = NULL;
    for (unsigned i = 0; i < MAX_URBS; i++) {
        urb *u = &s.urbs[i];
        if (u->used && u->in == in && u->ep == ep && (!first || (int32_t)(u->seqnum - first->seqnum) < 0)) first = u;
    }
    return first;
}

/* One transaction for the oldest pending URB of each endpoint: bulk and interrupt. */
static void service_urbs(void)
{
    for (unsigned e = 0; e < 32; e++) {
        urb *u = oldest(e >= 16, (uint8_t)(e & 15u));
        if (!u) continue;
        uint16_t max = s.max_packet[u->in][u->ep];
        if (!max) {
            complete(u, -32);
            continue;
        }
        if (u->in) {
            uint8_t packet[1024];
            size_t got = 0;
            bool data1 = false;
            otg_handshake r = otg_model_in(&s.otg, ADDRESS, (uint8_t)(0x80u | u->ep), packet, max, &got, &data1);
            if (r == OTG_NAK) continue;
            if (r != OTG_ACK) {
                complete(u, -32);
                continue;
            }
            if (data1 != s.host.in_data1[u->ep]) continue; /* a repeat of the last packet */
            s.host.in_data1[u->ep] = !data1;
            s.packets++;
            s.bytes += got;
            size_t room = u->length - u->done;
            memcpy(u->data + u->done, packet, got < room ? got : room);
            u->done += (uint32_t)(got < room ? got : room);
            s.progress = true;
            if (got > room) complete(u, -75); /* EOVERFLOW: babble */
            else if (got < max || u->done == u->length) complete(u, 0);
        } else {
            size_t chunk = u->length - u->done < max ? u->length - u->done : max;
            if (chunk == 0 && u->done && (u->zlp_sent || !(u->flags & USBIP_URB_ZERO_PACKET) || u->done % max)) {
                complete(u, 0);
                continue;
            }
            otg_handshake r = otg_model_out(&s.otg, ADDRESS, u->ep, u->data + u->done, chunk, s.host.out_data1[u->ep]);
            if (r == OTG_NAK) continue;
            if (r != OTG_ACK) {
                complete(u, -32);
                continue;
            }
            s.host.out_data1[u->ep] = !s.host.out_data1[u->ep];
            s.packets++;
            s.bytes += chunk;
            u->done += (uint32_t)chunk;
            if (chunk == 0) u->zlp_sent = true;
            s.progress = true;
            bool more = u->done < u->length ||
                        ((u->flags & USBIP_URB_ZERO_PACKET) && u->length && u->length % max == 0 && !u->zlp_sent);
            if (!more || chunk < max) {
                if (u->ep == (USB_PROBE_EP_HID_OUT & 0x0Fu) || u->ep == (USB_PROBE_EP_DAP_OUT & 0x0Fu)) s.dap_requests++;
                complete(u, 0);
            }
        }
    }
}

static void submit(const usbip_urb_header *h, const uint8_t *payload)
{
    urb *u = NULL;
    for (unsigned i = 0; i < MAX_URBS && !u; i++)
        if (!s.urbs[i].used) u = &s.urbs[i];
    uint8_t header[USBIP_URB_HEADER_SIZE];
    if (!u || h->length > 65536u) { /* refused: the kernel sees an error, nothing else changes */
        usbip_encode_ret_submit(header, h->seqnum, -12 /* ENOMEM */, 0);
        send_all(header, sizeof header);
        return;
    }
    *u = (urb){.used = true, .seqnum = h->seqnum, .ep = (uint8_t)h->ep, .in = h->direction == USBIP_DIR_IN,
               .flags = h->flags, .length = h->length};
    u->data = calloc(1, h->length + 8u);
    if (!u->data) fail("out of memory");
    if (!u->in && h->length) memcpy(u->data, payload, h->length);
    if (u->ep == 0) {
        memcpy(u->data + h->length, h->setup, 8);
        control(u);
    }
}

static void unlink_urb(const usbip_urb_header *h)
{
    int32_t status = 0;
    for (unsigned i = 0; i < MAX_URBS; i++) {
        urb *u = &s.urbs[i];
        if (u->used && u->seqnum == h->unlink_seqnum) {
            free(u->data);
            memset(u, 0, sizeof *u);
            status = -104; /* ECONNRESET: cancelled before it completed */
        }
    }
    uint8_t header[USBIP_URB_HEADER_SIZE];
    usbip_encode_ret_unlink(header, h->seqnum, status);
    send_all(header, sizeof header);
}

static void disconnect(void)
{
    if (s.client >= 0) close(s.client);
    s.client = -1;
    s.rx_length = 0;
    drop_all();
    if (s.imported) connect_device(BOARD_USB_HIGH_SPEED != 0); /* unplugged and plugged in again */
    s.imported = false;
}

/* Consumes whole requests from the receive buffer. */
static void handle_input(void)
{
    for (;;) {
        size_t used = 0;
        if (!s.imported) {
            if (s.rx_length < USBIP_OP_HEADER_SIZE) return;
            uint16_t code = 0;
            if (!usbip_decode_op(s.rx, &code)) return disconnect();
            uint8_t reply[USBIP_OP_HEADER_SIZE + 4 + USBIP_DEVICE_SIZE + 4 * USBIP_MAX_INTERFACES];
            if (code == USBIP_OP_REQ_DEVLIST) {
                send_all(reply, usbip_encode_devlist(reply, sizeof reply, &s.device));
                return disconnect();
            }
            if (code != USBIP_OP_REQ_IMPORT) return disconnect();
            if (s.rx_length < USBIP_OP_HEADER_SIZE + USBIP_BUSID_SIZE) return;
            char busid[USBIP_BUSID_SIZE + 1] = {0};
            memcpy(busid, s.rx + USBIP_OP_HEADER_SIZE, USBIP_BUSID_SIZE);
            bool ok = strcmp(busid, s.device.busid) == 0;
            send_all(reply, usbip_encode_import(reply, sizeof reply, &s.device, ok));
            if (!ok) return disconnect();
            s.imported = true;
            used = USBIP_OP_HEADER_SIZE + USBIP_BUSID_SIZE;
        } else {
            if (s.rx_length < USBIP_URB_HEADER_SIZE) return;
            usbip_urb_header h;
            if (!usbip_decode_urb(s.rx, &h)) return disconnect();
            size_t payload = h.command == USBIP_CMD_SUBMIT && h.direction == USBIP_DIR_OUT ? h.length : 0;
            if (h.command == USBIP_CMD_SUBMIT && h.number_of_packets != 0xFFFFFFFFu && h.number_of_packets)
                return disconnect(); /* isochronous: this device has no such endpoint */
            if (payload > sizeof s.rx - USBIP_URB_HEADER_SIZE) return disconnect();
            if (s.rx_length < USBIP_URB_HEADER_SIZE + payload) return;
            if (h.command == USBIP_CMD_SUBMIT) submit(&h, s.rx + USBIP_URB_HEADER_SIZE);
            else unlink_urb(&h);
            used = USBIP_URB_HEADER_SIZE + payload;
        }
        memmove(s.rx, s.rx + used, s.rx_length - used);
        s.rx_length -= used;
        s.progress = true;
    }
}

/* One turn of the server: the socket, the pending URBs, the device. */
static void server_turn(bool with_app, int timeout_ms)
{
    struct pollfd p[2] = {{s.listener, POLLIN, 0}, {s.client, POLLIN, 0}};
    poll(p, s.client >= 0 ? 2 : 1, timeout_ms);
    if (p[0].revents & POLLIN) {
        int fd = accept(s.listener, NULL, NULL);
        if (fd >= 0 && s.client >= 0) close(fd); /* one host at a time */
        else if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            s.client = fd;
        }
    }
    if (s.client >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = recv(s.client, s.rx + s.rx_length, sizeof s.rx - s.rx_length, 0);
        if (n <= 0) disconnect();
        else {
            s.rx_length += (size_t)n;
            handle_input();
        }
    }
    if (s.imported) service_urbs();
    if (with_app) device_turn();
    else usb_probe_task();
}


/* app_usb's wait hook: a GDB reply waits for the host to take what the device holds. */
static void wait_for_host(void)
{
    server_turn(false, 0);
}

static const app_usb_hooks hooks = {now_ms, NULL, wait_for_host};

int main(int argc, char **argv)
{
    unsigned port = 3240; /* usbipd's port */
    const char *profile = "stm32f407", *image = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--sim") && i + 1 < argc) profile = argv[++i];
        else if (!strcmp(argv[i], "--image") && i + 1 < argc) image = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--port N] [--sim <profile>] [--image <file.bin>]\n", argv[0]);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (sim_target_init(&s.target, profile) != SIM_OK) fail("unknown simulated profile");
    if (image) {
        FILE *f = fopen(image, "rb");
        static uint8_t bytes[4u << 20];
        size_t n = f ? fread(bytes, 1, sizeof bytes, f) : 0;
        if (f) fclose(f);
        if (!n || sim_target_load(&s.target, s.target.profile->flash_base, bytes, n) != SIM_OK) fail("the image did not load");
    }
    sim_target_reset(&s.target, SIM_RESET_SYSTEM);
    sim_swd_phy_init(&s.phy, &s.target);

    /* The controller as the board has it, over the model. */
    bool hs = BOARD_USB_HIGH_SPEED != 0;
    phyc_model_init(&s.phyc, 5);
    otg_model_init(&s.otg, hs ? OTG_MODEL_HS_UTMI : OTG_MODEL_FS, hs ? &s.phyc : NULL);
    usb_dwc2_config config = {
        .base = otg_model_base(&s.otg),
        .endpoints = BOARD_USB_ENDPOINTS,
        .fifo_words = BOARD_USB_FIFO_BYTES / 4,
        .utmi_phy = hs,
        .phy_init = hs ? board_phy_init : NULL,
    };
    if (!usb_dwc2_init(&s.dwc2, &config)) fail("the OTG driver did not start on the model");
    static const char serial[] = "5053494D3030303030303031"; /* "PSIM00000001" in hex, as a chip UID would be */
    const usb_probe_config usb = {
        .vid = BOARD_USB_VID, .pid = BOARD_USB_PID, .bcd_device = BOARD_USB_BCD_DEVICE,
        .manufacturer = BOARD_USB_MANUFACTURER, .product = BOARD_USB_PRODUCT, .serial = serial, .high_speed = hs,
    };
    usb_probe_init(&usb, usb_dwc2_dcd(&s.dwc2));
    const dap_strings strings = {
        .vendor = BOARD_USB_MANUFACTURER, .product = BOARD_USB_PRODUCT, .serial = serial, .protocol = "2.1.0",
        .board_vendor = BOARD_VENDOR, .board_name = BOARD_TITLE, .firmware = BOARD_FIRMWARE_VERSION,
    };
    app_init(&s.app, app_usb_io(&hooks), &s.phy, &strings, hs ? 512u : 64u, 4u);

    s.pty = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (s.pty < 0 || grantpt(s.pty) || unlockpt(s.pty)) fail("no pseudo-terminal for the target UART");

    connect_device(hs);
    read_configuration();
    snprintf(s.device.path, sizeof s.device.path, "/sys/devices/platform/bmp-usbip/usb1/1-1");
    snprintf(s.device.busid, sizeof s.device.busid, "1-1");
    s.device.busnum = 1;
    s.device.devnum = 2;
    s.device.speed = hs && usb_probe_high_speed() ? USBIP_SPEED_HIGH : USBIP_SPEED_FULL;

    s.client = -1;
    s.listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s.listener < 0 || bind(s.listener, (struct sockaddr *)&address, sizeof address) || listen(s.listener, 2))
        fail("cannot listen on 127.0.0.1 (port in use?)");
    socklen_t length = sizeof address;
    getsockname(s.listener, (struct sockaddr *)&address, &length);
    printf("ready: %s (%s) simulating %s; USB/IP on 127.0.0.1:%u busid 1-1; target UART %s\n", BOARD_TITLE,
           s.device.speed == USBIP_SPEED_HIGH ? "high speed" : "full speed", profile, ntohs(address.sin_port),
           ptsname(s.pty));

    signal(SIGUSR1, on_usr1);
    for (;;) {
        if (stats_wanted) {
            stats_wanted = 0;
            printf("stats: {\"packets\": %llu, \"bytes\": %llu, \"dap_requests\": %llu}\n", s.packets, s.bytes, s.dap_requests);
        }
        s.progress = false;
        bool running = s.app.gdb.run == GDB_RUNNING;
        server_turn(true, 0);
        if (!s.progress && !running) server_turn(true, 1); /* idle: wait a little for the host */
    }
}
