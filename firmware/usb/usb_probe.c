/* The probe's USB device: the device core (control transfers, standard requests) and the class
 * drivers (CDC-ACM twice, HID and vendor bulk for CMSIS-DAP, MS OS 2.0), above the controller
 * seam (usb_dcd.h). See usb_probe.h for the API and usb_probe_desc.h for the layout.
 *
 * One device per firmware, so its state is a static of this file; usb_probe_init resets it.
 * Everything runs in the main loop (usb_probe_task and the calls of the API); the controller's
 * interrupt only records events. */
#include "usb/usb_probe.h"

#include <string.h>

#include "usb/usb_probe_desc.h"
#include "usb/usb_std.h"

#define CTRL_BUFFER 256u      /* the longest control data stage: the configuration (196 bytes) */
#define CDC_TX_BUFFER 2048u   /* per port; a power of two that divides 65536 */
#define DAP_RESPONSES 2u      /* responses that may wait per source */
#define DAP_HID 0u
#define DAP_BULK 1u

typedef enum { CTRL_IDLE, CTRL_DATA_IN, CTRL_STATUS_OUT, CTRL_DATA_OUT, CTRL_STATUS_IN } ctrl_stage;
/* What a control write's data is for */
typedef enum { CTRL_DATA_NONE, CTRL_DATA_LINE_CODING } ctrl_data;

typedef struct cdc_port {
    uint8_t line_coding[7]; /* dwDTERate, bCharFormat, bParityType, bDataBits */
    bool line_changed;
    uint16_t control_lines; /* DTR bit 0, RTS bit 1 */
    uint8_t rx[USB_PROBE_BULK_HS];
    uint16_t rx_length, rx_taken;
    bool rx_armed;
    uint8_t tx[CDC_TX_BUFFER];
    uint16_t tx_head, tx_tail; /* free running: the count is head - tail */
    uint16_t tx_sending;       /* bytes of the IN transfer in flight */
    bool tx_busy, tx_zlp;      /* an IN transfer (or the ZLP after one) is in flight */
} cdc_port;

typedef struct dap_source {
    uint8_t request[USB_PROBE_BULK_HS];
    uint16_t request_length;
    bool request_ready, out_armed;
    uint8_t response[DAP_RESPONSES][USB_PROBE_BULK_HS];
    uint16_t response_length[DAP_RESPONSES];
    uint8_t response_first, responses;
    bool in_busy, in_zlp;
} dap_source;

static struct usb_probe_state {
    const usb_dcd *dcd;
    usb_probe_config config;
    bool high_speed, configured, suspended, dfu_requested;
    uint32_t halted; /* endpoint halt features: bit n OUT n, bit 16 + n IN n */
    uint8_t hid_idle;
    unsigned dap_next; /* the source dap_read looks at first (round robin) */

    uint8_t setup[8];
    ctrl_stage stage;
    ctrl_data data_kind;
    uint8_t data_port;
    bool ctrl_zlp;       /* the data stage ends with a ZLP (short of wLength, on a packet edge) */
    bool dfu_on_status;  /* the request was the DFU request: record it when the status is done */
    uint8_t ctrl[CTRL_BUFFER];

    cdc_port cdc[2];
    dap_source dap[2];
} s;

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint16_t bulk_size(void)
{
    return s.high_speed ? USB_PROBE_BULK_HS : USB_PROBE_BULK_FS;
}

static bool xfer(uint8_t ep, uint8_t *buffer, uint16_t length)
{
    return s.dcd->ep_xfer(s.dcd->ctx, ep, buffer, length);
}

static uint32_t halt_bit(uint8_t ep)
{
    return 1u << ((ep & 0x0Fu) + (ep & 0x80u ? 16u : 0u));
}

/* ---- the class drivers' data paths ---- */

static cdc_port *port_of(unsigned port)
{
    return port < 2 ? &s.cdc[port] : NULL;
}

static uint8_t cdc_out_ep(unsigned port)
{
    return port ? USB_PROBE_EP_UART_OUT : USB_PROBE_EP_GDB_OUT;
}

static uint8_t cdc_in_ep(unsigned port)
{
    return port ? USB_PROBE_EP_UART_IN : USB_PROBE_EP_GDB_IN;
}

static uint8_t dap_out_ep(unsigned source)
{
    return source == DAP_HID ? USB_PROBE_EP_HID_OUT : USB_PROBE_EP_DAP_OUT;
}

static uint8_t dap_in_ep(unsigned source)
{
    return source == DAP_HID ? USB_PROBE_EP_HID_IN : USB_PROBE_EP_DAP_IN;
}

static uint16_t dap_request_size(unsigned source)
{
    return source == DAP_HID ? USB_PROBE_HID_REPORT : bulk_size();
}

/* Starts what can start: OUT endpoints whose buffer is free again, IN transfers of queued data. */
static void service(void)
{
    if (!s.configured) return;
    for (unsigned i = 0; i < 2; i++) {
        cdc_port *c = &s.cdc[i];
        if (!c->rx_armed && c->rx_taken >= c->rx_length) {
            c->rx_length = c->rx_taken = 0;
            c->rx_armed = xfer(cdc_out_ep(i), c->rx, bulk_size());
        }
        uint16_t queued = (uint16_t)(c->tx_head - c->tx_tail);
        if (!c->tx_busy && queued) {
            uint16_t at = (uint16_t)(c->tx_tail % CDC_TX_BUFFER);
            uint16_t run = (uint16_t)(CDC_TX_BUFFER - at);
            if (run > queued) run = queued;
            if (xfer(cdc_in_ep(i), &c->tx[at], run)) {
                c->tx_busy = true;
                c->tx_sending = run;
            }
        }
    }
    for (unsigned i = 0; i < 2; i++) {
        dap_source *d = &s.dap[i];
        if (!d->out_armed && !d->request_ready) d->out_armed = xfer(dap_out_ep(i), d->request, dap_request_size(i));
        if (!d->in_busy && d->responses) {
            uint8_t slot = d->response_first;
            d->in_busy = xfer(dap_in_ep(i), d->response[slot], d->response_length[slot]);
        }
    }
}

static void cdc_in_done(unsigned port)
{
    cdc_port *c = &s.cdc[port];
    if (!c->tx_busy) return;
    if (c->tx_zlp) {
        c->tx_zlp = false;
        c->tx_busy = false;
        return;
    }
    c->tx_tail = (uint16_t)(c->tx_tail + c->tx_sending);
    bool packet_edge = c->tx_sending % bulk_size() == 0;
    c->tx_sending = 0;
    /* A stream that pauses on a packet edge ends with a ZLP, so the host's read returns. */
    if (packet_edge && c->tx_head == c->tx_tail && xfer(cdc_in_ep(port), NULL, 0))
        c->tx_zlp = true;
    else
        c->tx_busy = false;
}

static void dap_in_done(unsigned source)
{
    dap_source *d = &s.dap[source];
    if (!d->in_busy) return;
    if (!d->in_zlp) {
        uint16_t length = d->response_length[d->response_first];
        if (source == DAP_BULK && length && length % bulk_size() == 0 && xfer(dap_in_ep(source), NULL, 0)) {
            d->in_zlp = true;
            return;
        }
    }
    d->in_zlp = false;
    d->in_busy = false;
    d->response_first = (uint8_t)((d->response_first + 1u) % DAP_RESPONSES);
    d->responses--;
}

static void on_transfer(uint8_t ep, uint16_t length)
{
    if (!s.configured) return;
    for (unsigned i = 0; i < 2; i++) {
        cdc_port *c = &s.cdc[i];
        if (ep == cdc_out_ep(i) && c->rx_armed) {
            c->rx_armed = false;
            c->rx_length = length;
            c->rx_taken = 0;
        } else if (ep == cdc_in_ep(i)) {
            cdc_in_done(i);
        }
        dap_source *d = &s.dap[i];
        if (ep == dap_out_ep(i) && d->out_armed) {
            d->out_armed = false;
            d->request_length = length;
            d->request_ready = true;
        } else if (ep == dap_in_ep(i)) {
            dap_in_done(i);
        }
    }
}

static void cdc_reset(unsigned port)
{
    cdc_port *c = &s.cdc[port];
    c->rx_length = c->rx_taken = 0;
    c->rx_armed = false;
    c->tx_sending = 0;
    c->tx_busy = c->tx_zlp = false;
}

static void dap_reset(unsigned source)
{
    dap_source *d = &s.dap[source];
    d->request_ready = d->out_armed = false;
    d->responses = d->response_first = 0;
    d->in_busy = d->in_zlp = false;
}

/* Opens an interface's endpoints (data toggles back to DATA0) and resets its function. */
static bool open_interface(unsigned number)
{
    const usb_dcd *dcd = s.dcd;
    void *ctx = dcd->ctx;
    uint16_t bulk = bulk_size();
    bool ok = true;
    switch (number) {
    case USB_PROBE_IF_GDB_COMM:
        ok = dcd->ep_open(ctx, USB_PROBE_EP_GDB_NOTIFY, USB_EP_INTERRUPT, USB_PROBE_NOTIFY_SIZE);
        s.halted &= ~halt_bit(USB_PROBE_EP_GDB_NOTIFY);
        break;
    case USB_PROBE_IF_UART_COMM:
        ok = dcd->ep_open(ctx, USB_PROBE_EP_UART_NOTIFY, USB_EP_INTERRUPT, USB_PROBE_NOTIFY_SIZE);
        s.halted &= ~halt_bit(USB_PROBE_EP_UART_NOTIFY);
        break;
    case USB_PROBE_IF_GDB_DATA:
    case USB_PROBE_IF_UART_DATA: {
        unsigned port = number == USB_PROBE_IF_UART_DATA;
        ok = dcd->ep_open(ctx, cdc_out_ep(port), USB_EP_BULK, bulk) &&
             dcd->ep_open(ctx, cdc_in_ep(port), USB_EP_BULK, bulk);
        s.halted &= ~(halt_bit(cdc_out_ep(port)) | halt_bit(cdc_in_ep(port)));
        cdc_reset(port);
        break;
    }
    case USB_PROBE_IF_HID:
    case USB_PROBE_IF_VENDOR: {
        unsigned source = number == USB_PROBE_IF_HID ? DAP_HID : DAP_BULK;
        uint8_t type = source == DAP_HID ? USB_EP_INTERRUPT : USB_EP_BULK;
        uint16_t size = source == DAP_HID ? USB_PROBE_HID_REPORT : bulk;
        /* The CMSIS-DAP v2 IN endpoint first: it gets a two-packet TX FIFO while there is room. */
        ok = dcd->ep_open(ctx, dap_in_ep(source), type, size) && dcd->ep_open(ctx, dap_out_ep(source), type, size);
        s.halted &= ~(halt_bit(dap_out_ep(source)) | halt_bit(dap_in_ep(source)));
        dap_reset(source);
        break;
    }
    default:
        return false;
    }
    return ok;
}

static bool configure(void)
{
    static const uint8_t order[USB_PROBE_INTERFACES] = {USB_PROBE_IF_VENDOR,    USB_PROBE_IF_HID,
                                                        USB_PROBE_IF_GDB_COMM,  USB_PROBE_IF_GDB_DATA,
                                                        USB_PROBE_IF_UART_COMM, USB_PROBE_IF_UART_DATA};
    for (unsigned i = 0; i < USB_PROBE_INTERFACES; i++)
        if (!open_interface(order[i])) return false;
    return true;
}

/* ---- control transfers ---- */

static void ctrl_stall(void)
{
    s.stage = CTRL_IDLE;
    s.dcd->ep_stall(s.dcd->ctx, 0x80, true);
}

/* The data stage of a control read: `length` bytes of s.ctrl, cut to wLength. */
static bool ctrl_send(uint16_t length)
{
    uint16_t asked = get16(&s.setup[6]);
    if (length > asked) length = asked;
    s.ctrl_zlp = length < asked && length > 0 && length % USB_PROBE_EP0_SIZE == 0;
    s.stage = CTRL_DATA_IN;
    return xfer(0x80, s.ctrl, length);
}

static bool ctrl_send_bytes(const uint8_t *data, uint16_t length)
{
    memcpy(s.ctrl, data, length);
    return ctrl_send(length);
}

static bool ctrl_status(void)
{
    s.stage = CTRL_STATUS_IN;
    return xfer(0x80, NULL, 0);
}

static bool ctrl_receive(ctrl_data kind, uint8_t port)
{
    uint16_t length = get16(&s.setup[6]);
    if (length > CTRL_BUFFER) return false;
    s.data_kind = kind;
    s.data_port = port;
    s.stage = CTRL_DATA_OUT;
    return xfer(0x00, s.ctrl, length);
}

static bool endpoint_exists(uint8_t ep)
{
    static const uint8_t eps[] = {USB_PROBE_EP_GDB_NOTIFY, USB_PROBE_EP_GDB_OUT,  USB_PROBE_EP_GDB_IN,
                                  USB_PROBE_EP_UART_NOTIFY, USB_PROBE_EP_UART_OUT, USB_PROBE_EP_UART_IN,
                                  USB_PROBE_EP_HID_OUT,    USB_PROBE_EP_HID_IN,   USB_PROBE_EP_DAP_OUT,
                                  USB_PROBE_EP_DAP_IN};
    for (unsigned i = 0; i < sizeof eps; i++)
        if (eps[i] == ep) return true;
    return false;
}

static bool get_descriptor(void)
{
    uint8_t type = s.setup[3], index = s.setup[2];
    uint8_t recipient = s.setup[0] & USB_RECIP_MASK;
    uint16_t length = 0;
    if (recipient == USB_RECIP_INTERFACE) {
        if (get16(&s.setup[4]) != USB_PROBE_IF_HID) return false;
        if (type == USB_DT_HID_REPORT) length = usb_probe_desc_hid_report(s.ctrl, CTRL_BUFFER);
        if (type == USB_DT_HID) length = usb_probe_desc_hid(s.ctrl, CTRL_BUFFER);
        return length && ctrl_send(length);
    }
    if (recipient != USB_RECIP_DEVICE) return false;
    switch (type) {
    case USB_DT_DEVICE: length = usb_probe_desc_device(s.ctrl, CTRL_BUFFER, &s.config); break;
    case USB_DT_CONFIGURATION:
        if (index == 0) length = usb_probe_desc_configuration(s.ctrl, CTRL_BUFFER, s.high_speed, type);
        break;
    case USB_DT_STRING: length = usb_probe_desc_string(s.ctrl, CTRL_BUFFER, index, &s.config); break;
    case USB_DT_BOS: length = usb_probe_desc_bos(s.ctrl, CTRL_BUFFER); break;
    /* Only a device that can run at high speed has these (a full-speed-only device stalls). */
    case USB_DT_DEVICE_QUALIFIER:
        if (s.config.high_speed) length = usb_probe_desc_qualifier(s.ctrl, CTRL_BUFFER);
        break;
    case USB_DT_OTHER_SPEED_CONFIGURATION:
        if (s.config.high_speed && index == 0)
            length = usb_probe_desc_configuration(s.ctrl, CTRL_BUFFER, !s.high_speed, type);
        break;
    default: break;
    }
    return length && ctrl_send(length);
}

static bool standard_request(void)
{
    uint8_t recipient = s.setup[0] & USB_RECIP_MASK;
    bool in = (s.setup[0] & USB_DIR_IN) != 0;
    uint16_t value = get16(&s.setup[2]), index = get16(&s.setup[4]), length = get16(&s.setup[6]);
    uint8_t reply[2] = {0, 0};
    switch (s.setup[1]) {
    case USB_REQ_GET_DESCRIPTOR:
        return in && get_descriptor();
    case USB_REQ_SET_ADDRESS:
        if (recipient != USB_RECIP_DEVICE || in || value > 127 || index || length || s.configured) return false;
        /* Before the status stage: the Synopsys core answers the status with the old address. */
        s.dcd->set_address(s.dcd->ctx, (uint8_t)value);
        return ctrl_status();
    case USB_REQ_GET_CONFIGURATION:
        if (!in || recipient != USB_RECIP_DEVICE) return false;
        reply[0] = s.configured ? 1 : 0;
        return ctrl_send_bytes(reply, 1);
    case USB_REQ_SET_CONFIGURATION:
        if (in || recipient != USB_RECIP_DEVICE || value > 1) return false;
        s.configured = false;
        if (value == 1) {
            if (!configure()) return false;
            s.configured = true;
        }
        return ctrl_status();
    case USB_REQ_GET_STATUS:
        if (!in) return false;
        if (recipient == USB_RECIP_DEVICE) return ctrl_send_bytes(reply, 2); /* bus powered */
        if (recipient == USB_RECIP_INTERFACE) return s.configured && index < USB_PROBE_INTERFACES && ctrl_send_bytes(reply, 2);
        if (recipient == USB_RECIP_ENDPOINT) {
            uint8_t ep = (uint8_t)index;
            if ((ep & 0x7Fu) != 0 && !(s.configured && endpoint_exists(ep))) return false;
            reply[0] = (s.halted & halt_bit(ep)) ? 1 : 0;
            return ctrl_send_bytes(reply, 2);
        }
        return false;
    case USB_REQ_CLEAR_FEATURE:
    case USB_REQ_SET_FEATURE: {
        if (in || recipient != USB_RECIP_ENDPOINT || value != USB_FEATURE_ENDPOINT_HALT) return false;
        uint8_t ep = (uint8_t)index;
        bool set = s.setup[1] == USB_REQ_SET_FEATURE;
        if ((ep & 0x7Fu) == 0) return ctrl_status(); /* endpoint 0 is never halted for long */
        if (!s.configured || !endpoint_exists(ep)) return false;
        /* Clearing also puts the toggle back to DATA0, halted or not (USB 2.0, 9.4.5). */
        s.dcd->ep_stall(s.dcd->ctx, ep, set);
        if (set)
            s.halted |= halt_bit(ep);
        else
            s.halted &= ~halt_bit(ep);
        return ctrl_status();
    }
    case USB_REQ_GET_INTERFACE:
        if (!in || recipient != USB_RECIP_INTERFACE || !s.configured || index >= USB_PROBE_INTERFACES) return false;
        return ctrl_send_bytes(reply, 1); /* every interface has only alternate setting 0 */
    case USB_REQ_SET_INTERFACE:
        if (in || recipient != USB_RECIP_INTERFACE || !s.configured || index >= USB_PROBE_INTERFACES || value != 0)
            return false;
        return open_interface(index) && ctrl_status();
    default: /* SET_DESCRIPTOR, SYNCH_FRAME, and anything else */
        return false;
    }
}

static bool cdc_request(unsigned port)
{
    bool in = (s.setup[0] & USB_DIR_IN) != 0;
    uint16_t length = get16(&s.setup[6]);
    cdc_port *c = &s.cdc[port];
    switch (s.setup[1]) {
    case USB_CDC_REQ_SET_LINE_CODING:
        return !in && length == sizeof c->line_coding && ctrl_receive(CTRL_DATA_LINE_CODING, (uint8_t)port);
    case USB_CDC_REQ_GET_LINE_CODING:
        return in && ctrl_send_bytes(c->line_coding, sizeof c->line_coding);
    case USB_CDC_REQ_SET_CONTROL_LINE_STATE:
        if (in || length) return false;
        c->control_lines = get16(&s.setup[2]);
        return ctrl_status();
    case USB_CDC_REQ_SEND_BREAK:
        return !in && !length && ctrl_status();
    default:
        return false;
    }
}

static bool hid_request(void)
{
    bool in = (s.setup[0] & USB_DIR_IN) != 0;
    uint8_t report_type = s.setup[3];
    uint16_t length = get16(&s.setup[6]);
    /* SET_REPORT is not taken: requests come on the interrupt OUT endpoint, which every host
     * uses when the interface has one. */
    switch (s.setup[1]) {
    case USB_HID_REQ_GET_REPORT:
        /* Responses travel on the interrupt IN endpoint; asked here, the input report is empty. */
        if (!in || report_type != USB_HID_REPORT_INPUT) return false;
        memset(s.ctrl, 0, USB_PROBE_HID_REPORT);
        return ctrl_send(USB_PROBE_HID_REPORT);
    case USB_HID_REQ_GET_IDLE:
        return in && ctrl_send_bytes(&s.hid_idle, 1);
    case USB_HID_REQ_SET_IDLE:
        if (in || length) return false;
        s.hid_idle = s.setup[3]; /* the duration; reports go only when there is a response anyway */
        return ctrl_status();
    default: /* GET/SET_PROTOCOL: not a boot device */
        return false;
    }
}

static bool class_request(void)
{
    if ((s.setup[0] & USB_RECIP_MASK) != USB_RECIP_INTERFACE || !s.configured) return false;
    switch (get16(&s.setup[4])) {
    case USB_PROBE_IF_GDB_COMM:
    case USB_PROBE_IF_GDB_DATA: return cdc_request(0);
    case USB_PROBE_IF_UART_COMM:
    case USB_PROBE_IF_UART_DATA: return cdc_request(1);
    case USB_PROBE_IF_HID: return hid_request();
    default: return false;
    }
}

static bool vendor_request(void)
{
    uint8_t recipient = s.setup[0] & USB_RECIP_MASK;
    bool in = (s.setup[0] & USB_DIR_IN) != 0;
    uint16_t value = get16(&s.setup[2]), index = get16(&s.setup[4]), length = get16(&s.setup[6]);
    if (s.setup[1] == USB_PROBE_VENDOR_MS_OS_20 && in && recipient == USB_RECIP_DEVICE &&
        index == MS_OS_20_DESCRIPTOR_INDEX) {
        uint16_t n = usb_probe_desc_ms_os_20(s.ctrl, CTRL_BUFFER);
        return n && ctrl_send(n);
    }
    if (s.setup[1] == USB_PROBE_VENDOR_DFU && !in && value == 0 && length == 0 &&
        ((recipient == USB_RECIP_DEVICE && index == 0) ||
         (recipient == USB_RECIP_INTERFACE && index == USB_PROBE_IF_VENDOR))) {
        s.dfu_on_status = true;
        return ctrl_status();
    }
    return false;
}

static void on_setup(const uint8_t *setup)
{
    memcpy(s.setup, setup, sizeof s.setup);
    s.stage = CTRL_IDLE;
    s.ctrl_zlp = false;
    s.dfu_on_status = false;
    s.data_kind = CTRL_DATA_NONE;
    bool ok = false;
    switch (s.setup[0] & USB_TYPE_MASK) {
    case USB_TYPE_STANDARD: ok = standard_request(); break;
    case USB_TYPE_CLASS: ok = class_request(); break;
    case USB_TYPE_VENDOR: ok = vendor_request(); break;
    default: break;
    }
    if (!ok) ctrl_stall();
}

/* A control write's data arrived. */
static void on_ctrl_data(uint16_t length)
{
    bool ok = false;
    if (s.data_kind == CTRL_DATA_LINE_CODING && length == sizeof s.cdc[0].line_coding) {
        cdc_port *c = &s.cdc[s.data_port];
        memcpy(c->line_coding, s.ctrl, sizeof c->line_coding);
        c->line_changed = true;
        ok = true;
    }
    if (ok)
        ctrl_status();
    else
        ctrl_stall();
}

static void on_ep0_done(uint8_t ep, uint16_t length)
{
    bool in = (ep & 0x80u) != 0;
    switch (s.stage) {
    case CTRL_DATA_IN:
        if (!in) break;
        if (s.ctrl_zlp) {
            s.ctrl_zlp = false;
            xfer(0x80, NULL, 0);
        } else {
            s.stage = CTRL_STATUS_OUT;
            xfer(0x00, NULL, 0);
        }
        break;
    case CTRL_STATUS_OUT:
        if (!in) s.stage = CTRL_IDLE;
        break;
    case CTRL_DATA_OUT:
        if (!in) on_ctrl_data(length);
        break;
    case CTRL_STATUS_IN:
        if (!in) break;
        s.stage = CTRL_IDLE;
        if (s.dfu_on_status) s.dfu_requested = true;
        s.dfu_on_status = false;
        break;
    default:
        break;
    }
}

static void on_bus_reset(bool high_speed)
{
    s.high_speed = high_speed;
    s.configured = false;
    s.suspended = false;
    s.halted = 0;
    s.stage = CTRL_IDLE;
    for (unsigned i = 0; i < 2; i++) {
        cdc_reset(i);
        dap_reset(i);
    }
    s.dcd->ep_open(s.dcd->ctx, 0x00, USB_EP_CONTROL, USB_PROBE_EP0_SIZE);
    s.dcd->ep_open(s.dcd->ctx, 0x80, USB_EP_CONTROL, USB_PROBE_EP0_SIZE);
}

/* ---- the API ---- */

void usb_probe_init(const usb_probe_config *config, const usb_dcd *dcd)
{
    memset(&s, 0, sizeof s);
    s.config = *config;
    s.dcd = dcd;
    for (unsigned i = 0; i < 2; i++) {
        static const uint8_t default_coding[7] = {0x00, 0xC2, 0x01, 0x00, 0, 0, 8}; /* 115200 8N1 */
        memcpy(s.cdc[i].line_coding, default_coding, sizeof default_coding);
    }
    dcd->connect(dcd->ctx, true);
}

void usb_probe_task(void)
{
    usb_event e;
    /* Bounded, so that a busy bus cannot keep the main loop here. */
    for (unsigned n = 0; n < 64 && s.dcd->next_event(s.dcd->ctx, &e); n++) {
        switch (e.kind) {
        case USB_EVENT_RESET: on_bus_reset(e.high_speed); break;
        case USB_EVENT_SETUP: on_setup(e.setup); break;
        case USB_EVENT_XFER_DONE:
            if ((e.ep & 0x7Fu) == 0)
                on_ep0_done(e.ep, e.length);
            else
                on_transfer(e.ep, e.length);
            break;
        case USB_EVENT_SUSPEND: s.suspended = true; break;
        case USB_EVENT_RESUME: s.suspended = false; break;
        }
    }
    service();
}

size_t usb_probe_cdc_read(unsigned port, uint8_t *buffer, size_t capacity)
{
    cdc_port *c = port_of(port);
    if (!c || c->rx_armed) return 0;
    size_t n = (size_t)(c->rx_length - c->rx_taken);
    if (n > capacity) n = capacity;
    memcpy(buffer, &c->rx[c->rx_taken], n);
    c->rx_taken = (uint16_t)(c->rx_taken + n);
    service();
    return n;
}

size_t usb_probe_cdc_write(unsigned port, const uint8_t *data, size_t length)
{
    cdc_port *c = port_of(port);
    if (!c) return 0;
    size_t room = CDC_TX_BUFFER - (uint16_t)(c->tx_head - c->tx_tail);
    size_t n = length < room ? length : room;
    for (size_t i = 0; i < n; i++) c->tx[(uint16_t)(c->tx_head + i) % CDC_TX_BUFFER] = data[i];
    c->tx_head = (uint16_t)(c->tx_head + n);
    service();
    return n;
}

bool usb_probe_line_coding(unsigned port, uint32_t *baud)
{
    cdc_port *c = port_of(port);
    if (!c) return false;
    const uint8_t *p = c->line_coding;
    *baud = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    bool changed = c->line_changed;
    c->line_changed = false;
    return changed;
}

size_t usb_probe_dap_read(uint8_t *buffer, size_t capacity, unsigned *source)
{
    for (unsigned k = 0; k < 2; k++) {
        unsigned i = (s.dap_next + k) % 2u;
        dap_source *d = &s.dap[i];
        if (!d->request_ready || d->responses >= DAP_RESPONSES) continue;
        size_t n = d->request_length < capacity ? d->request_length : capacity;
        memcpy(buffer, d->request, n);
        d->request_ready = false;
        s.dap_next = i ^ 1u;
        *source = i;
        service();
        return n;
    }
    return 0;
}

void usb_probe_dap_write(unsigned source, const uint8_t *data, size_t length)
{
    if (source > DAP_BULK) return;
    dap_source *d = &s.dap[source];
    if (d->responses >= DAP_RESPONSES) return;
    uint8_t slot = (uint8_t)((d->response_first + d->responses) % DAP_RESPONSES);
    size_t size = source == DAP_HID ? USB_PROBE_HID_REPORT : USB_PROBE_BULK_HS;
    size_t n = length < size ? length : size;
    memset(d->response[slot], 0, size);
    memcpy(d->response[slot], data, n);
    d->response_length[slot] = (uint16_t)(source == DAP_HID ? USB_PROBE_HID_REPORT : n);
    d->responses++;
    service();
}

bool usb_probe_high_speed(void)
{
    return s.high_speed;
}

bool usb_probe_dfu_requested(void)
{
    return s.dfu_requested;
}
