/* Enumeration of the probe's USB device the way a host does it, over the DWC2 driver and the OTG
 * register model, on both probes' controllers: the H7's OTG_FS (full speed), the F723's OTG_HS
 * with its UTMI PHY on a high-speed host, and the same on a full-speed host. Every descriptor is
 * parsed back and checked field by field against the USB 2.0, IAD, CDC/PSTN, HID and MS OS 2.0
 * layouts; the standard requests are checked for what they answer and for what they refuse. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "usb_host.h"

#define DT_DEVICE 1
#define DT_CONFIG 2
#define DT_STRING 3
#define DT_INTERFACE 4
#define DT_ENDPOINT 5
#define DT_QUALIFIER 6
#define DT_OTHER_SPEED 7
#define DT_IAD 11
#define DT_BOS 15
#define DT_CAPABILITY 16
#define DT_HID 0x21
#define DT_HID_REPORT 0x22
#define DT_CS_INTERFACE 0x24

/* ---- a descriptor parser, as a host's would be ---- */

typedef struct {
    uint8_t address, attributes, interval;
    uint16_t max_packet;
} ep_desc;

typedef struct {
    uint8_t number, alternate, endpoints, cls, subclass, protocol, string;
    ep_desc ep[4];
    unsigned ep_count;
    int iad; /* the IAD just before it, or -1 */
    /* CDC functional descriptors */
    unsigned cdc_functionals;
    uint16_t cdc_version;
    uint8_t call_caps, call_data, acm_caps, union_master, union_slave;
    /* HID */
    bool hid;
    uint16_t hid_version, hid_report_length;
    uint8_t hid_country, hid_descriptors, hid_report_type;
} if_desc;

typedef struct {
    uint8_t first, count, cls, subclass, protocol, string;
} iad_desc;

typedef struct {
    uint8_t type, interfaces, value, string, attributes, power;
    uint16_t total;
    if_desc ifs[8];
    unsigned if_count;
    iad_desc iads[4];
    unsigned iad_count;
    bool well_formed;
} config_desc;

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void parse_config(const uint8_t *p, size_t n, config_desc *c)
{
    memset(c, 0, sizeof *c);
    c->well_formed = false;
    if (n < 9 || p[0] != 9) return;
    c->type = p[1];
    c->total = le16(p + 2);
    c->interfaces = p[4];
    c->value = p[5];
    c->string = p[6];
    c->attributes = p[7];
    c->power = p[8];
    int last_iad = -1;
    bool iad_pending = false;
    if_desc *cur = NULL;
    for (size_t at = 9; at < n;) {
        uint8_t len = p[at], type = p[at + 1];
        if (len < 2 || at + len > n) return;
        const uint8_t *d = p + at;
        switch (type) {
        case DT_IAD:
            if (len != 8 || c->iad_count == 4) return;
            c->iads[c->iad_count] = (iad_desc){d[2], d[3], d[4], d[5], d[6], d[7]};
            last_iad = (int)c->iad_count++;
            iad_pending = true;
            break;
        case DT_INTERFACE:
            if (len != 9 || c->if_count == 8) return;
            cur = &c->ifs[c->if_count++];
            cur->number = d[2];
            cur->alternate = d[3];
            cur->endpoints = d[4];
            cur->cls = d[5];
            cur->subclass = d[6];
            cur->protocol = d[7];
            cur->string = d[8];
            cur->iad = iad_pending ? last_iad : -1;
            iad_pending = false;
            break;
        case DT_ENDPOINT:
            if (len != 7 || !cur || cur->ep_count == 4) return;
            cur->ep[cur->ep_count++] = (ep_desc){d[2], d[3], d[6], le16(d + 4)};
            break;
        case DT_CS_INTERFACE:
            if (!cur) return;
            cur->cdc_functionals++;
            if (d[2] == 0x00 && len == 5) cur->cdc_version = le16(d + 3);
            if (d[2] == 0x01 && len == 5) {
                cur->call_caps = d[3];
                cur->call_data = d[4];
            }
            if (d[2] == 0x02 && len == 4) cur->acm_caps = d[3];
            if (d[2] == 0x06 && len == 5) {
                cur->union_master = d[3];
                cur->union_slave = d[4];
            }
            break;
        case DT_HID:
            if (!cur || len != 9) return;
            cur->hid = true;
            cur->hid_version = le16(d + 2);
            cur->hid_country = d[4];
            cur->hid_descriptors = d[5];
            cur->hid_report_type = d[6];
            cur->hid_report_length = le16(d + 7);
            break;
        default:
            return;
        }
        at += len;
    }
    c->well_formed = true;
}

/* A string descriptor as ASCII (non-ASCII as '?'); false if it is not a string descriptor. */
static bool decode_string(const uint8_t *p, size_t n, char *out, size_t cap)
{
    if (n < 2 || p[0] != n || p[1] != DT_STRING || (n & 1u)) return false;
    size_t chars = (n - 2) / 2, i = 0;
    for (; i < chars && i + 1 < cap; i++) out[i] = p[3 + 2 * i] == 0 && p[2 + 2 * i] < 0x80 ? (char)p[2 + 2 * i] : '?';
    out[i] = 0;
    return true;
}

/* ---- enumeration ---- */

typedef struct {
    uint8_t device[18];
    config_desc config, other;
    uint8_t config_raw[256], other_raw[256];
    size_t config_len, other_len;
    char strings[10][130];
    bool has_qualifier;
    uint8_t qualifier[10];
    uint8_t bos[64], msos[256];
    size_t bos_len, msos_len;
    uint8_t report[64];
    size_t report_len;
} device_view;

static usb_rig rig;
static usb_host host;
static device_view view;

static bool get(uint8_t type, uint8_t index, uint8_t *buffer, uint16_t length, size_t *actual)
{
    return usb_host_get_descriptor(&host, type, index, buffer, length, actual) == HOST_OK;
}

/* Enumerates like a host: reset, 64 bytes of the device descriptor at address 0, reset again,
 * SET_ADDRESS, the descriptors, the BOS and MS OS 2.0 set, SET_CONFIGURATION. */
static void enumerate(otg_model_kind kind, bool hs_host)
{
    memset(&view, 0, sizeof view);
    CHECK(usb_rig_start(&rig, kind));
    usb_host_init(&host, &rig.otg);
    CHECK(usb_host_reset(&host, hs_host));
    CHECK_EQ(usb_probe_high_speed(), hs_host && kind == OTG_MODEL_HS_UTMI);

    size_t n = 0;
    uint8_t first[64];
    CHECK(get(DT_DEVICE, 0, first, 64, &n));
    CHECK_EQ(n, 18);
    CHECK_EQ(first[7], 64);
    CHECK(usb_host_reset(&host, hs_host));

    CHECK_EQ(usb_host_control(&host, 0x00, 5, 7, 0, 0, NULL, NULL), HOST_OK);
    host.address = 7;
    uint8_t probe[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    CHECK_EQ(otg_model_setup(&rig.otg, 0, probe), OTG_NO_RESPONSE); /* address 0 is gone */

    CHECK(get(DT_DEVICE, 0, view.device, 18, &n));
    CHECK_EQ(n, 18);

    uint8_t head[9];
    CHECK(get(DT_CONFIG, 0, head, 9, &n));
    CHECK_EQ(n, 9);
    uint16_t total = le16(head + 2);
    CHECK(total <= sizeof view.config_raw);
    CHECK(get(DT_CONFIG, 0, view.config_raw, total, &view.config_len));
    parse_config(view.config_raw, view.config_len, &view.config);

    for (uint8_t i = 0; i < 10; i++) {
        uint8_t s[256];
        if (get(DT_STRING, i, s, 255, &n)) {
            if (i == 0) {
                CHECK_EQ(n, 4);
                CHECK_EQ(le16(s + 2), 0x0409);
                strcpy(view.strings[0], "langs");
            } else {
                CHECK(decode_string(s, n, view.strings[i], sizeof view.strings[i]));
            }
        }
    }

    view.has_qualifier = get(DT_QUALIFIER, 0, view.qualifier, 10, &n);
    if (view.has_qualifier) {
        CHECK_EQ(n, 10);
        CHECK(get(DT_OTHER_SPEED, 0, head, 9, &n));
        CHECK(get(DT_OTHER_SPEED, 0, view.other_raw, le16(head + 2), &view.other_len));
        parse_config(view.other_raw, view.other_len, &view.other);
    }

    uint8_t bos_head[5];
    CHECK(get(DT_BOS, 0, bos_head, 5, &n));
    CHECK_EQ(n, 5);
    CHECK(le16(bos_head + 2) <= sizeof view.bos);
    CHECK(get(DT_BOS, 0, view.bos, le16(bos_head + 2), &view.bos_len));
    /* The MS OS 2.0 descriptor set, by the vendor request the platform capability names. */
    for (size_t at = 5; at + 3 <= view.bos_len && view.bos[at] >= 3; at += view.bos[at]) {
        const uint8_t *cap = view.bos + at;
        if (cap[2] == 5 && cap[0] == 28) {
            uint16_t set_length = le16(cap + 24);
            CHECK(set_length <= sizeof view.msos);
            CHECK_EQ(usb_host_control(&host, 0xC0, cap[26], 0, 7, set_length, view.msos, &view.msos_len), HOST_OK);
        }
    }

    CHECK_EQ(usb_host_control(&host, 0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
    uint8_t value = 0;
    CHECK_EQ(usb_host_control(&host, 0x80, 8, 0, 0, 1, &value, &n), HOST_OK);
    CHECK_EQ(value, 1);
    CHECK(get(DT_HID_REPORT, 0, view.report, sizeof view.report, &view.report_len) == false); /* to the device: no */
    CHECK_EQ(usb_host_control(&host, 0x81, 6, DT_HID_REPORT << 8, 4, sizeof view.report, view.report, &view.report_len),
             HOST_OK);
    CHECK_EQ(rig.otg.errors, 0);
    if (rig.otg.errors) fprintf(stderr, "    model: %s\n", rig.otg.error);
    CHECK_EQ(host.toggle_errors, 0);
}

/* ---- checks of what came back ---- */

static void check_device(void)
{
    const uint8_t *d = view.device;
    CHECK_EQ(d[0], 18);
    CHECK_EQ(d[1], DT_DEVICE);
    CHECK_EQ(le16(d + 2), 0x0210); /* 2.1: the BOS is read */
    CHECK_EQ(d[4], 0xEF);          /* miscellaneous / common class / IAD */
    CHECK_EQ(d[5], 0x02);
    CHECK_EQ(d[6], 0x01);
    CHECK_EQ(d[7], 64);
    CHECK_EQ(le16(d + 8), 0x1d50);
    CHECK_EQ(le16(d + 10), 0x6018);
    CHECK_EQ(le16(d + 12), 0x0100);
    CHECK_EQ(d[14], 1);
    CHECK_EQ(d[15], 2);
    CHECK_EQ(d[16], 3);
    CHECK_EQ(d[17], 1);
}

static void check_endpoint(const ep_desc *e, uint8_t address, uint8_t type, uint16_t max_packet, uint8_t interval)
{
    CHECK_EQ(e->address, address);
    CHECK_EQ(e->attributes, type);
    CHECK_EQ(e->max_packet, max_packet);
    CHECK_EQ(e->interval, interval);
}

static void check_cdc(const config_desc *c, unsigned comm, uint8_t notify, uint8_t out, uint8_t in, bool hs,
                      const char *name)
{
    const if_desc *ci = &c->ifs[comm], *di = &c->ifs[comm + 1];
    uint16_t bulk = hs ? 512 : 64;
    CHECK(ci->iad >= 0);
    if (ci->iad < 0) return;
    const iad_desc *a = &c->iads[ci->iad];
    CHECK_EQ(a->first, comm);
    CHECK_EQ(a->count, 2);
    CHECK_EQ(a->cls, 0x02);
    CHECK_EQ(a->subclass, 0x02);
    CHECK_EQ(a->protocol, 0);
    CHECK(strcmp(view.strings[a->string], name) == 0);

    CHECK_EQ(ci->number, comm);
    CHECK_EQ(ci->alternate, 0);
    CHECK_EQ(ci->cls, 0x02);
    CHECK_EQ(ci->subclass, 0x02);
    CHECK_EQ(ci->protocol, 0);
    CHECK(strcmp(view.strings[ci->string], name) == 0);
    CHECK_EQ(ci->cdc_functionals, 4);
    CHECK_EQ(ci->cdc_version, 0x0110);
    CHECK_EQ(ci->call_caps, 0);
    CHECK_EQ(ci->call_data, comm + 1);
    CHECK_EQ(ci->acm_caps, 0x02); /* SET/GET_LINE_CODING and SET_CONTROL_LINE_STATE */
    CHECK_EQ(ci->union_master, comm);
    CHECK_EQ(ci->union_slave, comm + 1);
    CHECK_EQ(ci->endpoints, 1);
    CHECK_EQ(ci->ep_count, 1);
    check_endpoint(&ci->ep[0], notify, 3, 16, hs ? 8 : 16);

    CHECK_EQ(di->number, comm + 1);
    CHECK_EQ(di->iad, -1);
    CHECK_EQ(di->cls, 0x0A);
    CHECK_EQ(di->endpoints, 2);
    CHECK_EQ(di->ep_count, 2);
    check_endpoint(&di->ep[0], out, 2, bulk, 0);
    check_endpoint(&di->ep[1], in, 2, bulk, 0);
}

static void check_config(const config_desc *c, size_t raw_length, uint8_t type, bool hs)
{
    CHECK(c->well_formed);
    CHECK_EQ(c->type, type);
    CHECK_EQ(c->total, raw_length);
    CHECK_EQ(c->total, 196);
    CHECK_EQ(c->interfaces, 6);
    CHECK_EQ(c->if_count, 6);
    CHECK_EQ(c->value, 1);
    CHECK_EQ(c->attributes, 0x80);
    CHECK_EQ(c->power, 250);
    CHECK_EQ(c->iad_count, 2);
    for (unsigned i = 0; i < c->if_count; i++) {
        CHECK_EQ(c->ifs[i].number, i);
        CHECK_EQ(c->ifs[i].alternate, 0);
        CHECK_EQ(c->ifs[i].ep_count, c->ifs[i].endpoints);
    }
    if (c->if_count != 6) return;
    check_cdc(c, 0, 0x81, 0x02, 0x82, hs, "GDB Server");
    check_cdc(c, 2, 0x83, 0x04, 0x84, hs, "Target UART");

    const if_desc *h = &c->ifs[4];
    CHECK_EQ(h->iad, -1);
    CHECK_EQ(h->cls, 0x03);
    CHECK_EQ(h->subclass, 0);
    CHECK_EQ(h->protocol, 0);
    CHECK(strstr(view.strings[h->string], "CMSIS-DAP") != NULL);
    CHECK(h->hid);
    CHECK_EQ(h->hid_version, 0x0111);
    CHECK_EQ(h->hid_country, 0);
    CHECK_EQ(h->hid_descriptors, 1);
    CHECK_EQ(h->hid_report_type, DT_HID_REPORT);
    CHECK_EQ(h->hid_report_length, view.report_len);
    CHECK_EQ(h->ep_count, 2);
    check_endpoint(&h->ep[0], 0x85, 3, 64, 1);
    check_endpoint(&h->ep[1], 0x05, 3, 64, 1);

    const if_desc *v = &c->ifs[5];
    CHECK_EQ(v->iad, -1);
    CHECK_EQ(v->cls, 0xFF);
    CHECK_EQ(v->subclass, 0);
    CHECK_EQ(v->protocol, 0);
    CHECK(strstr(view.strings[v->string], "CMSIS-DAP") != NULL);
    CHECK_EQ(v->ep_count, 2);
    /* CMSIS-DAP v2: bulk OUT first, then bulk IN */
    check_endpoint(&v->ep[0], 0x06, 2, hs ? 512 : 64, 0);
    check_endpoint(&v->ep[1], 0x86, 2, hs ? 512 : 64, 0);
}

static void check_strings(void)
{
    CHECK(strcmp(view.strings[0], "langs") == 0);
    CHECK(strcmp(view.strings[1], "Black Magic Debug") == 0);
    CHECK(strstr(view.strings[2], "CMSIS-DAP") != NULL);
    CHECK(strcmp(view.strings[3], "0123456789ABCDEF01234567") == 0);
    CHECK(strcmp(view.strings[4], "GDB Server") == 0);
    CHECK(strcmp(view.strings[5], "Target UART") == 0);
    CHECK(strcmp(view.strings[6], "CMSIS-DAP v1") == 0);
    CHECK(strcmp(view.strings[7], "CMSIS-DAP v2") == 0);
    CHECK_EQ(view.strings[8][0], 0); /* no string 8: stalled */
}

static void check_report_descriptor(void)
{
    static const uint8_t expected[] = {0x06, 0x00, 0xFF, 0x09, 0x01, 0xA1, 0x01, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
                                       0x95, 0x40, 0x09, 0x01, 0x81, 0x02, 0x95, 0x40, 0x09, 0x01, 0x91, 0x02, 0xC0};
    CHECK_EQ(view.report_len, sizeof expected);
    CHECK(memcmp(view.report, expected, sizeof expected) == 0);
}

static void check_bos_and_ms_os_20(void)
{
    const uint8_t *b = view.bos;
    CHECK_EQ(view.bos_len, 40);
    CHECK_EQ(b[0], 5);
    CHECK_EQ(b[1], DT_BOS);
    CHECK_EQ(le16(b + 2), view.bos_len);
    CHECK_EQ(b[4], 2);
    /* USB 2.0 extension */
    CHECK_EQ(b[5], 7);
    CHECK_EQ(b[6], DT_CAPABILITY);
    CHECK_EQ(b[7], 2);
    CHECK_EQ(le32(b + 8), 0);
    /* platform capability: MS OS 2.0 */
    const uint8_t *p = b + 12;
    static const uint8_t uuid[16] = {0xDF, 0x60, 0xDD, 0xD8, 0x89, 0x45, 0xC7, 0x4C,
                                     0x9C, 0xD2, 0x65, 0x9D, 0x9E, 0x64, 0x8A, 0x9F};
    CHECK_EQ(p[0], 28);
    CHECK_EQ(p[1], DT_CAPABILITY);
    CHECK_EQ(p[2], 5);
    CHECK_EQ(p[3], 0);
    CHECK(memcmp(p + 4, uuid, 16) == 0);
    CHECK_EQ(le32(p + 20), 0x06030000);
    CHECK_EQ(le16(p + 24), view.msos_len);
    CHECK_EQ(p[26], USB_PROBE_VENDOR_MS_OS_20);
    CHECK_EQ(p[27], 0);

    const uint8_t *m = view.msos;
    size_t n = view.msos_len;
    CHECK_EQ(n, 178);
    if (n != 178) return;
    /* set header */
    CHECK_EQ(le16(m + 0), 10);
    CHECK_EQ(le16(m + 2), 0);
    CHECK_EQ(le32(m + 4), 0x06030000);
    CHECK_EQ(le16(m + 8), n);
    /* configuration subset */
    CHECK_EQ(le16(m + 10), 8);
    CHECK_EQ(le16(m + 12), 1);
    CHECK_EQ(m[14], 0);
    CHECK_EQ(le16(m + 16), n - 10);
    /* function subset: the CMSIS-DAP v2 interface */
    CHECK_EQ(le16(m + 18), 8);
    CHECK_EQ(le16(m + 20), 2);
    CHECK_EQ(m[22], 5);
    CHECK_EQ(le16(m + 24), n - 18);
    /* compatible ID */
    CHECK_EQ(le16(m + 26), 20);
    CHECK_EQ(le16(m + 28), 3);
    CHECK(memcmp(m + 30, "WINUSB\0\0", 8) == 0);
    static const uint8_t zeros[8] = {0};
    CHECK(memcmp(m + 38, zeros, 8) == 0);
    /* registry property: DeviceInterfaceGUIDs, REG_MULTI_SZ */
    const uint8_t *r = m + 46;
    CHECK_EQ(le16(r + 0), n - 46);
    CHECK_EQ(le16(r + 2), 4);
    CHECK_EQ(le16(r + 4), 7);
    CHECK_EQ(le16(r + 6), 42);
    const char *name = "DeviceInterfaceGUIDs";
    for (unsigned i = 0; i < 21; i++) {
        CHECK_EQ(r[8 + 2 * i], (uint8_t)name[i]);
        CHECK_EQ(r[9 + 2 * i], 0);
    }
    CHECK_EQ(le16(r + 50), 80);
    const uint8_t *g = r + 52;
    char guid[41];
    for (unsigned i = 0; i < 40; i++) {
        CHECK_EQ(g[2 * i + 1], 0);
        guid[i] = (char)g[2 * i];
    }
    guid[40] = 'x';
    CHECK_EQ(guid[0], '{');
    CHECK_EQ(guid[37], '}');
    CHECK_EQ(guid[38], 0);
    CHECK_EQ(guid[39], 0); /* the list ends with an empty string */
    for (unsigned i = 1; i < 37; i++) {
        bool dash = i == 9 || i == 14 || i == 19 || i == 24;
        char ch = guid[i];
        CHECK(dash ? ch == '-' : ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F')));
    }
}

/* ---- the tests ---- */

static void full_speed_on_the_h7_otg_fs(void)
{
    enumerate(OTG_MODEL_FS, false);
    CHECK(!rig.otg.high_speed);
    check_device();
    check_config(&view.config, view.config_len, DT_CONFIG, false);
    check_strings();
    check_report_descriptor();
    check_bos_and_ms_os_20();
    CHECK(!view.has_qualifier); /* a full-speed-only device stalls GET_DESCRIPTOR(qualifier) */
}

static void high_speed_on_the_f723_otg_hs(void)
{
    enumerate(OTG_MODEL_HS_UTMI, true);
    CHECK(rig.otg.high_speed);
    check_device();
    check_config(&view.config, view.config_len, DT_CONFIG, true);
    check_strings();
    check_report_descriptor();
    check_bos_and_ms_os_20();
    CHECK(view.has_qualifier);
    const uint8_t *q = view.qualifier;
    CHECK_EQ(q[0], 10);
    CHECK_EQ(q[1], DT_QUALIFIER);
    CHECK_EQ(le16(q + 2), 0x0210);
    CHECK_EQ(q[4], 0xEF);
    CHECK_EQ(q[5], 0x02);
    CHECK_EQ(q[6], 0x01);
    CHECK_EQ(q[7], 64);
    CHECK_EQ(q[8], 1);
    CHECK_EQ(q[9], 0);
    /* the other speed's configuration is the full-speed one */
    check_config(&view.other, view.other_len, DT_OTHER_SPEED, false);
}

static void f723_on_a_full_speed_host(void)
{
    enumerate(OTG_MODEL_HS_UTMI, false);
    CHECK(!rig.otg.high_speed);
    CHECK(!usb_probe_high_speed());
    check_config(&view.config, view.config_len, DT_CONFIG, false);
    CHECK(view.has_qualifier);
    check_config(&view.other, view.other_len, DT_OTHER_SPEED, true);
    check_bos_and_ms_os_20();
}

static uint8_t setup_result(uint8_t type, uint8_t request, uint16_t value, uint16_t index, uint16_t length,
                            uint8_t *data, size_t *actual)
{
    return (uint8_t)usb_host_control(&host, type, request, value, index, length, data, actual);
}

static void standard_requests_answer_and_refuse(void)
{
    enumerate(OTG_MODEL_FS, false);
    uint8_t b[64];
    size_t n = 0;
    /* GET_STATUS: device (bus powered, no remote wake-up), interface, endpoint */
    CHECK_EQ(setup_result(0x80, 0, 0, 0, 2, b, &n), HOST_OK);
    CHECK_EQ(n, 2);
    CHECK_EQ(le16(b), 0);
    CHECK_EQ(setup_result(0x81, 0, 0, 5, 2, b, &n), HOST_OK);
    CHECK_EQ(le16(b), 0);
    CHECK_EQ(setup_result(0x82, 0, 0, 0x86, 2, b, &n), HOST_OK);
    CHECK_EQ(le16(b), 0);
    CHECK_EQ(setup_result(0x82, 0, 0, 0x87, 2, b, &n), HOST_STALL); /* no such endpoint */
    CHECK_EQ(setup_result(0x81, 0, 0, 6, 2, b, &n), HOST_STALL);    /* no such interface */
    /* GET/SET_INTERFACE: only alternate setting 0 */
    CHECK_EQ(setup_result(0x81, 10, 0, 4, 1, b, &n), HOST_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(b[0], 0);
    CHECK_EQ(setup_result(0x01, 11, 0, 4, 0, NULL, NULL), HOST_OK);
    CHECK_EQ(setup_result(0x01, 11, 1, 4, 0, NULL, NULL), HOST_STALL);
    /* remote wake-up and test mode are not supported; SET_DESCRIPTOR neither */
    CHECK_EQ(setup_result(0x00, 3, 1, 0, 0, NULL, NULL), HOST_STALL);
    CHECK_EQ(setup_result(0x00, 3, 2, 0x0400, 0, NULL, NULL), HOST_STALL);
    CHECK_EQ(setup_result(0x00, 7, 0x0100, 0, 18, b, NULL), HOST_STALL);
    /* an unknown request stalls endpoint 0, and the next SETUP works */
    CHECK_EQ(setup_result(0xC0, 0x55, 0, 0, 4, b, &n), HOST_STALL);
    CHECK_EQ(setup_result(0x80, 6, 0x0100, 0, 18, b, &n), HOST_OK);
    CHECK_EQ(n, 18);
    /* an unknown descriptor type, configuration index 1, the MS OS 2.0 request at another wIndex */
    CHECK_EQ(setup_result(0x80, 6, 0x0900, 0, 9, b, &n), HOST_STALL);
    CHECK_EQ(setup_result(0x80, 6, 0x0201, 0, 9, b, &n), HOST_STALL);
    CHECK_EQ(setup_result(0xC0, USB_PROBE_VENDOR_MS_OS_20, 0, 8, 16, b, &n), HOST_STALL);
    /* GET_DESCRIPTOR cut to wLength */
    CHECK_EQ(setup_result(0x80, 6, 0x0200, 0, 20, b, &n), HOST_OK);
    CHECK_EQ(n, 20);
    CHECK_EQ(le16(b + 2), 196);
    /* SET_CONFIGURATION(0) unconfigures: interface requests stall until configured again */
    CHECK_EQ(setup_result(0x00, 9, 0, 0, 0, NULL, NULL), HOST_OK);
    CHECK_EQ(setup_result(0x80, 8, 0, 0, 1, b, &n), HOST_OK);
    CHECK_EQ(b[0], 0);
    CHECK_EQ(setup_result(0x81, 10, 0, 4, 1, b, &n), HOST_STALL);
    CHECK_EQ(setup_result(0xA1, 0x21, 0, 0, 7, b, &n), HOST_STALL);
    CHECK_EQ(setup_result(0x00, 9, 2, 0, 0, NULL, NULL), HOST_STALL); /* no configuration 2 */
    CHECK_EQ(setup_result(0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
    CHECK_EQ(setup_result(0x81, 10, 0, 4, 1, b, &n), HOST_OK);
    CHECK_EQ(rig.otg.errors, 0);
}

static void control_read_ending_on_a_packet_edge_ends_with_a_zlp(void)
{
    /* A product string of 31 characters is a 64-byte descriptor: asked for 255 bytes, the data
     * stage is one full packet and a zero-length packet. */
    const char *product = "Probe CMSIS-DAP 0123456789ABCDE";
    CHECK_EQ(strlen(product), 31);
    CHECK(usb_rig_start_with(&rig, OTG_MODEL_FS, product));
    usb_host_init(&host, &rig.otg);
    CHECK(usb_host_reset(&host, false));
    uint8_t b[256];
    size_t n = 0;
    CHECK(get(DT_STRING, 2, b, 255, &n));
    CHECK_EQ(n, 64);
    char s[64];
    CHECK(decode_string(b, n, s, sizeof s));
    CHECK(strcmp(s, product) == 0);
    /* asked for exactly 64, no ZLP: the host moves to the status stage after the full packet */
    CHECK(get(DT_STRING, 2, b, 64, &n));
    CHECK_EQ(n, 64);
    /* and the next request still works */
    CHECK(get(DT_DEVICE, 0, b, 18, &n));
    CHECK_EQ(n, 18);
    CHECK_EQ(rig.otg.errors, 0);
    CHECK_EQ(host.toggle_errors, 0);
}

static void a_new_setup_abandons_a_control_transfer(void)
{
    CHECK(usb_rig_start(&rig, OTG_MODEL_FS));
    usb_host_init(&host, &rig.otg);
    CHECK(usb_host_reset(&host, false));
    /* GET_DESCRIPTOR(configuration) read only in part, then a new request at once */
    uint8_t setup[8] = {0x80, 6, 0, 2, 0, 0, 0xFF, 0};
    CHECK_EQ(otg_model_setup(&rig.otg, 0, setup), OTG_ACK);
    host.in_data1[0] = true;
    usb_host_pump(&host);
    uint8_t b[256];
    size_t n = 0;
    CHECK_EQ(usb_host_in_packet(&host, 0x80, b, 64, &n), OTG_ACK);
    CHECK_EQ(n, 64);
    CHECK(get(DT_DEVICE, 0, b, 18, &n));
    CHECK_EQ(n, 18);
    CHECK_EQ(b[1], DT_DEVICE);
    CHECK(get(DT_CONFIG, 0, b, 255, &n));
    CHECK_EQ(n, 196);
    CHECK_EQ(rig.otg.errors, 0);
}

static void bus_reset_returns_to_the_default_state(void)
{
    enumerate(OTG_MODEL_HS_UTMI, true);
    CHECK(usb_host_reset(&host, true));
    uint8_t b[64];
    size_t n = 0;
    /* address 0 again, unconfigured */
    CHECK(get(DT_DEVICE, 0, b, 18, &n));
    CHECK_EQ(setup_result(0x80, 8, 0, 0, 1, b, &n), HOST_OK);
    CHECK_EQ(b[0], 0);
    /* and it enumerates again, this time at full speed */
    CHECK(usb_host_reset(&host, false));
    CHECK(!usb_probe_high_speed());
    CHECK_EQ(setup_result(0x00, 5, 9, 0, 0, NULL, NULL), HOST_OK);
    host.address = 9;
    CHECK_EQ(setup_result(0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
    uint8_t cfg[256];
    CHECK(get(DT_CONFIG, 0, cfg, 255, &n));
    config_desc c;
    parse_config(cfg, n, &c);
    CHECK(c.well_formed);
    CHECK_EQ(c.ifs[5].ep[0].max_packet, 64);
    CHECK_EQ(rig.otg.errors, 0);
}

int main(void)
{
    RUN(full_speed_on_the_h7_otg_fs);
    RUN(high_speed_on_the_f723_otg_hs);
    RUN(f723_on_a_full_speed_host);
    RUN(standard_requests_answer_and_refuse);
    RUN(control_read_ending_on_a_packet_edge_ends_with_a_zlp);
    RUN(a_new_setup_abandons_a_control_transfer);
    RUN(bus_reset_returns_to_the_default_state);
    return CHECK_SUMMARY();
}
