/* The probe's USB device: the class drivers (CDC-ACM twice, HID and vendor bulk for CMSIS-DAP,
 * MS OS 2.0) on the device core (usb_device.h: control transfers, standard requests), above the
 * controller seam (usb_dcd.h). See usb_probe.h for the API and usb_probe_desc.h for the layout.
 *
 * One device per firmware, so its state is a static of this file; usb_probe_init resets it.
 * Everything runs in the main loop (usb_probe_task and the calls of the API); the controller's
 * interrupt only records events. */
#include "usb/usb_probe.h"

#include <string.h>

#include "usb/usb_device.h"
#include "usb/usb_probe_desc.h"
#include "usb/usb_std.h"

#define CTRL_BUFFER 256u      /* the longest control data stage: the configuration (196 bytes) */
#define CDC_TX_BUFFER 2048u   /* per port; a power of two that divides 65536 */
#define DAP_RESPONSES 2u      /* responses that may wait per source */
#define DAP_HID 0u
#define DAP_BULK 1u

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
    usb_device dev;
    usb_probe_config config;
    bool dfu_requested;
    uint8_t hid_idle;
    unsigned dap_next; /* the source dap_read looks at first (round robin) */
    uint32_t restarts; /* bus resets and SET_CONFIGURATIONs so far */
    uint8_t ctrl[CTRL_BUFFER];

    cdc_port cdc[2];
    dap_source dap[2];
} s;

static uint16_t bulk_size(void)
{
    return s.dev.high_speed ? USB_PROBE_BULK_HS : USB_PROBE_BULK_FS;
}

static bool xfer(uint8_t ep, uint8_t *buffer, uint16_t length)
{
    return usb_device_xfer(&s.dev, ep, buffer, length);
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
    if (!s.dev.configured) return;
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

static void on_transfer(usb_device *d, uint8_t ep, uint16_t length)
{
    (void)d; /* the device core calls this only while configured */
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
    const usb_dcd *dcd = s.dev.dcd;
    void *ctx = dcd->ctx;
    uint16_t bulk = bulk_size();
    bool ok = true;
    switch (number) {
    case USB_PROBE_IF_GDB_COMM:
        ok = dcd->ep_open(ctx, USB_PROBE_EP_GDB_NOTIFY, USB_EP_INTERRUPT, USB_PROBE_NOTIFY_SIZE);
        usb_device_unhalt(&s.dev, USB_PROBE_EP_GDB_NOTIFY);
        break;
    case USB_PROBE_IF_UART_COMM:
        ok = dcd->ep_open(ctx, USB_PROBE_EP_UART_NOTIFY, USB_EP_INTERRUPT, USB_PROBE_NOTIFY_SIZE);
        usb_device_unhalt(&s.dev, USB_PROBE_EP_UART_NOTIFY);
        break;
    case USB_PROBE_IF_GDB_DATA:
    case USB_PROBE_IF_UART_DATA: {
        unsigned port = number == USB_PROBE_IF_UART_DATA;
        ok = dcd->ep_open(ctx, cdc_out_ep(port), USB_EP_BULK, bulk) &&
             dcd->ep_open(ctx, cdc_in_ep(port), USB_EP_BULK, bulk);
        usb_device_unhalt(&s.dev, cdc_out_ep(port));
        usb_device_unhalt(&s.dev, cdc_in_ep(port));
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
        usb_device_unhalt(&s.dev, dap_out_ep(source));
        usb_device_unhalt(&s.dev, dap_in_ep(source));
        dap_reset(source);
        break;
    }
    default:
        return false;
    }
    return ok;
}

static bool configure(usb_device *d)
{
    (void)d;
    static const uint8_t order[USB_PROBE_INTERFACES] = {USB_PROBE_IF_VENDOR,    USB_PROBE_IF_HID,
                                                        USB_PROBE_IF_GDB_COMM,  USB_PROBE_IF_GDB_DATA,
                                                        USB_PROBE_IF_UART_COMM, USB_PROBE_IF_UART_DATA};
    for (unsigned i = 0; i < USB_PROBE_INTERFACES; i++)
        if (!open_interface(order[i])) return false;
    return true;
}

/* ---- control transfers ---- */

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

static uint16_t get_descriptor(usb_device *d, uint8_t *out, uint16_t cap)
{
    uint8_t type = d->setup[3], index = d->setup[2];
    uint8_t recipient = d->setup[0] & USB_RECIP_MASK;
    if (recipient == USB_RECIP_INTERFACE) {
        if ((d->setup[4] | d->setup[5] << 8) != USB_PROBE_IF_HID) return 0;
        if (type == USB_DT_HID_REPORT) return usb_probe_desc_hid_report(out, cap);
        if (type == USB_DT_HID) return usb_probe_desc_hid(out, cap);
        return 0;
    }
    if (recipient != USB_RECIP_DEVICE) return 0;
    switch (type) {
    case USB_DT_DEVICE: return usb_probe_desc_device(out, cap, &s.config);
    case USB_DT_CONFIGURATION: return index == 0 ? usb_probe_desc_configuration(out, cap, d->high_speed, type) : 0;
    case USB_DT_STRING: return usb_probe_desc_string(out, cap, index, &s.config);
    case USB_DT_BOS: return usb_probe_desc_bos(out, cap);
    /* Only a device that can run at high speed has these (a full-speed-only device stalls). */
    case USB_DT_DEVICE_QUALIFIER: return s.config.high_speed ? usb_probe_desc_qualifier(out, cap) : 0;
    case USB_DT_OTHER_SPEED_CONFIGURATION:
        return s.config.high_speed && index == 0 ? usb_probe_desc_configuration(out, cap, !d->high_speed, type) : 0;
    default: return 0;
    }
}

static bool cdc_request(unsigned port, const usb_setup *setup)
{
    bool in = (setup->type & USB_DIR_IN) != 0;
    cdc_port *c = &s.cdc[port];
    switch (setup->request) {
    case USB_CDC_REQ_SET_LINE_CODING: /* its data arrives in request_data */
        return !in && setup->length == sizeof c->line_coding && usb_device_receive(&s.dev);
    case USB_CDC_REQ_GET_LINE_CODING:
        return in && usb_device_send_bytes(&s.dev, c->line_coding, sizeof c->line_coding);
    case USB_CDC_REQ_SET_CONTROL_LINE_STATE:
        if (in || setup->length) return false;
        c->control_lines = setup->value;
        return usb_device_status(&s.dev);
    case USB_CDC_REQ_SEND_BREAK:
        return !in && !setup->length && usb_device_status(&s.dev);
    default:
        return false;
    }
}

static bool hid_request(const usb_setup *setup)
{
    bool in = (setup->type & USB_DIR_IN) != 0;
    uint8_t report_type = (uint8_t)(setup->value >> 8);
    /* SET_REPORT is not taken: requests come on the interrupt OUT endpoint, which every host
     * uses when the interface has one. */
    switch (setup->request) {
    case USB_HID_REQ_GET_REPORT:
        /* Responses travel on the interrupt IN endpoint; asked here, the input report is empty. */
        if (!in || report_type != USB_HID_REPORT_INPUT) return false;
        memset(s.ctrl, 0, USB_PROBE_HID_REPORT);
        return usb_device_send(&s.dev, USB_PROBE_HID_REPORT);
    case USB_HID_REQ_GET_IDLE:
        return in && usb_device_send_bytes(&s.dev, &s.hid_idle, 1);
    case USB_HID_REQ_SET_IDLE:
        if (in || setup->length) return false;
        /* the duration; reports go only when there is a response anyway */
        s.hid_idle = (uint8_t)(setup->value >> 8);
        return usb_device_status(&s.dev);
    default: /* GET/SET_PROTOCOL: not a boot device */
        return false;
    }
}

static bool class_request(const usb_setup *setup)
{
    if ((setup->type & USB_RECIP_MASK) != USB_RECIP_INTERFACE || !s.dev.configured) return false;
    switch (setup->index) {
    case USB_PROBE_IF_GDB_COMM:
    case USB_PROBE_IF_GDB_DATA: return cdc_request(0, setup);
    case USB_PROBE_IF_UART_COMM:
    case USB_PROBE_IF_UART_DATA: return cdc_request(1, setup);
    case USB_PROBE_IF_HID: return hid_request(setup);
    default: return false;
    }
}

static bool vendor_request(const usb_setup *setup)
{
    uint8_t recipient = setup->type & USB_RECIP_MASK;
    bool in = (setup->type & USB_DIR_IN) != 0;
    if (setup->request == USB_PROBE_VENDOR_MS_OS_20 && in && recipient == USB_RECIP_DEVICE &&
        setup->index == MS_OS_20_DESCRIPTOR_INDEX) {
        uint16_t n = usb_probe_desc_ms_os_20(s.ctrl, CTRL_BUFFER);
        return n && usb_device_send(&s.dev, n);
    }
    /* The DFU request is recorded once its status stage is done (request_done). */
    if (setup->request == USB_PROBE_VENDOR_DFU && !in && setup->value == 0 && setup->length == 0 &&
        ((recipient == USB_RECIP_DEVICE && setup->index == 0) ||
         (recipient == USB_RECIP_INTERFACE && setup->index == USB_PROBE_IF_VENDOR)))
        return usb_device_status(&s.dev);
    return false;
}

static bool request(usb_device *d, const usb_setup *setup)
{
    (void)d;
    return (setup->type & USB_TYPE_MASK) == USB_TYPE_CLASS ? class_request(setup) : vendor_request(setup);
}

/* A control write's data: only SET_LINE_CODING has one. */
static bool request_data(usb_device *d, const usb_setup *setup, uint16_t length)
{
    unsigned port = setup->index == USB_PROBE_IF_UART_COMM || setup->index == USB_PROBE_IF_UART_DATA;
    cdc_port *c = &s.cdc[port];
    if (setup->request != USB_CDC_REQ_SET_LINE_CODING || length != sizeof c->line_coding) return false;
    memcpy(c->line_coding, d->ctrl, sizeof c->line_coding);
    c->line_changed = true;
    return usb_device_status(d);
}

static void request_done(usb_device *d, const usb_setup *setup)
{
    (void)d;
    if ((setup->type & USB_TYPE_MASK) == USB_TYPE_VENDOR && setup->request == USB_PROBE_VENDOR_DFU)
        s.dfu_requested = true;
}

static bool set_interface(usb_device *d, uint16_t interface)
{
    (void)d;
    return open_interface(interface);
}

/* A bus reset or SET_CONFIGURATION: the functions start again. */
static void deconfigured(usb_device *d)
{
    (void)d;
    for (unsigned i = 0; i < 2; i++) {
        cdc_reset(i);
        dap_reset(i);
    }
    s.restarts++;
}

static const usb_device_class probe_class = {
    .interfaces = USB_PROBE_INTERFACES,
    .descriptor = get_descriptor,
    .configure = configure,
    .set_interface = set_interface,
    .endpoint_exists = endpoint_exists,
    .request = request,
    .data = request_data,
    .done = request_done,
    .transfer = on_transfer,
    .deconfigured = deconfigured,
};

/* ---- the API ---- */

void usb_probe_init(const usb_probe_config *config, const usb_dcd *dcd)
{
    memset(&s, 0, sizeof s);
    s.config = *config;
    for (unsigned i = 0; i < 2; i++) {
        static const uint8_t default_coding[7] = {0x00, 0xC2, 0x01, 0x00, 0, 0, 8}; /* 115200 8N1 */
        memcpy(s.cdc[i].line_coding, default_coding, sizeof default_coding);
    }
    usb_device_init(&s.dev, dcd, &probe_class, NULL, s.ctrl, CTRL_BUFFER);
}

void usb_probe_task(void)
{
    usb_device_task(&s.dev);
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
    return s.dev.high_speed;
}

bool usb_probe_dfu_requested(void)
{
    return s.dfu_requested;
}

uint32_t usb_probe_restarts(void)
{
    return s.restarts;
}
