/* Test-only stand-in for libusb-1.0 that presents one DfuSe device in DFU mode to a real client
 * (dfu-util): the project's DfuSe device core and descriptors (native/core/dfu), linked in, over
 * the virtual device's flash model (native/sim/sim_dfu.c). Every control transfer the client
 * makes goes to sim_dfu_control, so the client drives the very state machine the bootloader
 * runs. Written for this project from the libusb-1.0 ABI; no libusb code.
 *
 * It is configured by a file named in $BMP_DFU_CONFIG, one "key=value" a line:
 *   vid, pid, bcd_device, manufacturer, product, serial   the device's identity
 *   name, base, sectors ("count*size*erase_ms,..."), transfer_size, program_unit,
 *   program_ms_per_kib, attributes                       its DfuSe region and functional descriptor
 *   flash_base, flash_size, flash_file                   the modelled flash: a file of flash_size
 *                                                        bytes, mapped, so that it keeps what was
 *                                                        written after the client exits
 *   state_file                                           (optional) keeps the DFU state between
 *                                                        runs, as a device that stays plugged in
 *   fault, fault_at                                      (optional) a fault (sim_dfu.h), once
 *   log_file                                             (optional) one line per control transfer */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libusb_abi.h"
#include "sim_dfu.h"

struct libusb_device_handle {
    libusb_device *dev;
};

/* What survives between runs of the client (state_file): the device's DFU state. */
typedef struct kept_state {
    uint32_t magic;
    uint32_t state, status, pointer;
} kept_state;
#define KEPT_MAGIC 0xDF05A7E5u

static struct {
    bool loaded, ok;
    char text[4096];            /* the configuration file, its values NUL-separated in place */
    sim_dfu_config config;
    sim_dfu dev;
    kept_state *kept;
    FILE *log;
    /* the descriptors as libusb hands them out */
    struct libusb_device_descriptor device;
    uint8_t functional[DFU_FUNCTIONAL_LENGTH];
    struct libusb_interface_descriptor altsetting;
    struct libusb_interface interface;
    struct libusb_config_descriptor configuration;
} s;

static libusb_device the_device = {1};

static const char *value_of(const char *key)
{
    size_t n = strlen(key);
    for (char *line = s.text; *line;) {
        char *next = line + strlen(line) + 1;
        if (strncmp(line, key, n) == 0 && line[n] == '=') return line + n + 1;
        line = next;
    }
    return NULL;
}

static uint32_t number(const char *key, uint32_t fallback)
{
    const char *v = value_of(key);
    return v ? (uint32_t)strtoul(v, NULL, 0) : fallback;
}

static void *map_file(const char *path, size_t size)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return NULL;
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

static bool parse_sectors(const char *text)
{
    unsigned n = 0;
    while (text && *text && n < DFU_MAX_SECTOR_GROUPS) {
        char *end;
        unsigned long count = strtoul(text, &end, 0);
        if (*end != '*') return false;
        unsigned long size = strtoul(end + 1, &end, 0);
        if (*end != '*') return false;
        unsigned long ms = strtoul(end + 1, &end, 0);
        s.config.sectors[n++] = (dfu_sector_group){(uint16_t)count, (uint32_t)size, (uint32_t)ms};
        text = *end == ',' ? end + 1 : end;
    }
    s.config.dfu.sectors = s.config.sectors;
    s.config.dfu.sector_groups = (uint8_t)n;
    return n > 0;
}

static const struct {
    const char *name;
    sim_dfu_fault fault;
} faults[] = {
    {"stall", SIM_DFU_FAULT_STALL},           {"disconnect", SIM_DFU_FAULT_DISCONNECT},
    {"errTARGET", SIM_DFU_FAULT_ERR_TARGET},  {"errVERIFY", SIM_DFU_FAULT_ERR_VERIFY},
    {"errCHECK_ERASED", SIM_DFU_FAULT_ERR_CHECK_ERASED},
};

static void build_descriptors(void)
{
    uint8_t b[256];
    dfu_desc_get(&s.config.desc, &s.config.dfu, 1, 0, b, sizeof b);
    s.device = (struct libusb_device_descriptor){b[0],  b[1],  (uint16_t)(b[2] | b[3] << 8), b[4], b[5], b[6], b[7],
                                                 (uint16_t)(b[8] | b[9] << 8), (uint16_t)(b[10] | b[11] << 8),
                                                 (uint16_t)(b[12] | b[13] << 8), b[14], b[15], b[16], b[17]};
    uint16_t n = dfu_desc_get(&s.config.desc, &s.config.dfu, 2, 0, b, sizeof b);
    /* configuration (9), interface (9), functional (9): the functional descriptor is the
     * interface's "extra", where libusb puts class descriptors that follow an interface */
    if (n != DFU_DESC_CONFIG_LENGTH) return;
    memcpy(s.functional, &b[18], sizeof s.functional);
    s.altsetting = (struct libusb_interface_descriptor){b[9], b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17],
                                                        NULL, s.functional, (int)sizeof s.functional};
    s.interface = (struct libusb_interface){&s.altsetting, 1};
    s.configuration = (struct libusb_config_descriptor){b[0], b[1], (uint16_t)(b[2] | b[3] << 8), b[4], b[5], b[6], b[7],
                                                        b[8], &s.interface, NULL, 0};
}

static bool load(void)
{
    if (s.loaded) return s.ok;
    s.loaded = true;
    const char *path = getenv("BMP_DFU_CONFIG");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return false;
    size_t n = fread(s.text, 1, sizeof s.text - 2, f);
    fclose(f);
    s.text[n] = s.text[n + 1] = '\0';
    for (size_t i = 0; i < n; i++)
        if (s.text[i] == '\n') s.text[i] = '\0';
    const char *flash_file = value_of("flash_file");
    s.config.flash_base = number("flash_base", 0x08000000u);
    s.config.flash_size = number("flash_size", 0);
    s.config.flash = flash_file ? map_file(flash_file, s.config.flash_size) : NULL;
    if (!s.config.flash || !parse_sectors(value_of("sectors"))) return false;
    s.config.desc = (dfu_desc_config){(uint16_t)number("vid", 0), (uint16_t)number("pid", 0),
                                      (uint16_t)number("bcd_device", 0x0100), value_of("manufacturer"),
                                      value_of("product"), value_of("serial"), number("high_speed", 0) != 0};
    s.config.dfu.name = value_of("name");
    s.config.dfu.base = number("base", 0);
    s.config.dfu.transfer_size = (uint16_t)number("transfer_size", 2048);
    s.config.dfu.program_unit = (uint16_t)number("program_unit", 4);
    s.config.dfu.program_ms_per_kib = number("program_ms_per_kib", 1);
    s.config.dfu.attributes = (uint8_t)number("attributes", 0x0B);
    if (!s.config.dfu.name || !sim_dfu_init(&s.dev, &s.config)) return false;
    const char *fault = value_of("fault");
    for (unsigned i = 0; fault && i < sizeof faults / sizeof faults[0]; i++)
        if (strcmp(fault, faults[i].name) == 0) sim_dfu_set_fault(&s.dev, faults[i].fault, number("fault_at", 1));
    const char *state_file = value_of("state_file");
    if (state_file && (s.kept = map_file(state_file, sizeof *s.kept)) != NULL && s.kept->magic == KEPT_MAGIC) {
        s.dev.device.state = (dfu_state)s.kept->state;
        s.dev.device.status = (dfu_status)s.kept->status;
        s.dev.device.pointer = s.kept->pointer;
    }
    const char *log = value_of("log_file");
    if (log) s.log = fopen(log, "a");
    build_descriptors();
    s.ok = true;
    return true;
}

static void keep_state(void)
{
    if (!s.kept) return;
    /* A device that left DFU mode, or the bus, comes back reset: dfuIDLE, status OK. */
    if (s.dev.left || !s.dev.connected)
        *s.kept = (kept_state){KEPT_MAGIC, DFU_STATE_IDLE, DFU_STATUS_OK, s.config.dfu.base};
    else
        *s.kept = (kept_state){KEPT_MAGIC, s.dev.device.state, s.dev.device.status, s.dev.device.pointer};
}

/* --- devices and descriptors -------------------------------------------------------------------- */

EXPORT long libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    (void)ctx;
    libusb_device **l = calloc(2, sizeof *l);
    if (!l) return LIBUSB_ERROR_NO_MEM;
    bool there = load() && s.dev.connected && !s.dev.left;
    if (there) l[0] = &the_device;
    *list = l;
    return there ? 1 : 0;
}

EXPORT int libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
    (void)dev;
    if (!load()) return LIBUSB_ERROR_NO_DEVICE;
    *desc = s.device;
    return LIBUSB_SUCCESS;
}

EXPORT int libusb_get_config_descriptor(libusb_device *dev, uint8_t index, struct libusb_config_descriptor **out)
{
    (void)dev;
    if (!load()) return LIBUSB_ERROR_NO_DEVICE;
    if (index != 0) return LIBUSB_ERROR_NOT_FOUND;
    *out = &s.configuration;
    return LIBUSB_SUCCESS;
}

EXPORT int libusb_get_device_speed(libusb_device *dev)
{
    (void)dev;
    return s.config.desc.high_speed_capable ? 3 : 2;
}

EXPORT int libusb_get_max_packet_size(libusb_device *dev, unsigned char endpoint)
{
    (void)dev, (void)endpoint;
    return DFU_DESC_EP0_SIZE;
}

/* --- handles ------------------------------------------------------------------------------------- */

EXPORT int libusb_open(libusb_device *dev, libusb_device_handle **out)
{
    if (!load() || !s.dev.connected || s.dev.left) return LIBUSB_ERROR_NO_DEVICE;
    libusb_device_handle *h = calloc(1, sizeof *h);
    if (!h) return LIBUSB_ERROR_NO_MEM;
    h->dev = dev;
    *out = h;
    return LIBUSB_SUCCESS;
}

EXPORT libusb_device_handle *libusb_open_device_with_vid_pid(libusb_context *ctx, uint16_t vid, uint16_t pid)
{
    (void)ctx;
    libusb_device_handle *h = NULL;
    if (load() && vid == s.config.desc.vid && pid == s.config.desc.pid) libusb_open(&the_device, &h);
    return h;
}

EXPORT void libusb_close(libusb_device_handle *h)
{
    free(h);
}

EXPORT libusb_device *libusb_get_device(libusb_device_handle *h)
{
    return h->dev;
}

static int control(uint8_t request_type, uint8_t request, uint16_t value, uint16_t index, unsigned char *data,
                   uint16_t length)
{
    uint8_t setup[8] = {request_type, request, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)index,
                        (uint8_t)(index >> 8), (uint8_t)length, (uint8_t)(length >> 8)};
    uint8_t buffer[DFU_MAX_TRANSFER];
    if (length > sizeof buffer) return LIBUSB_ERROR_INVALID_PARAM;
    bool in = (request_type & 0x80u) != 0;
    if (!in && length) memcpy(buffer, data, length);
    uint16_t got = 0;
    sim_dfu_result r = sim_dfu_control(&s.dev, setup, buffer, &got);
    keep_state();
    if (s.log) {
        fprintf(s.log, "%02x %02x %04x %04x %4u -> %s %s %s\n", request_type, request, value, index, length,
                r == SIM_DFU_OK ? "ok" : r == SIM_DFU_STALL ? "stall" : "gone",
                dfu_state_name(s.dev.device.state), dfu_status_name(s.dev.device.status));
        fflush(s.log);
    }
    if (r == SIM_DFU_GONE) return LIBUSB_ERROR_NO_DEVICE;
    if (r == SIM_DFU_STALL) return LIBUSB_ERROR_PIPE;
    if (in) memcpy(data, buffer, got);
    return in ? got : length;
}

EXPORT int libusb_get_configuration(libusb_device_handle *h, int *value)
{
    (void)h;
    *value = s.dev.configuration ? s.dev.configuration : 1; /* the host stack configured it */
    return LIBUSB_SUCCESS;
}

EXPORT int libusb_set_configuration(libusb_device_handle *h, int value)
{
    (void)h;
    int r = control(0x00, 9, (uint16_t)(value < 0 ? 0 : value), 0, NULL, 0);
    return r < 0 ? r : LIBUSB_SUCCESS;
}

EXPORT int libusb_claim_interface(libusb_device_handle *h, int n)
{
    (void)h;
    if (n != DFU_DESC_INTERFACE) return LIBUSB_ERROR_NOT_FOUND;
    if (!s.dev.configuration) control(0x00, 9, 1, 0, NULL, 0); /* the host stack configured it */
    return s.dev.connected ? LIBUSB_SUCCESS : LIBUSB_ERROR_NO_DEVICE;
}

EXPORT int libusb_release_interface(libusb_device_handle *h, int n)
{
    (void)h;
    return n == DFU_DESC_INTERFACE ? LIBUSB_SUCCESS : LIBUSB_ERROR_NOT_FOUND;
}

EXPORT int libusb_set_interface_alt_setting(libusb_device_handle *h, int n, int alt)
{
    (void)h;
    int r = control(0x01, 11, (uint16_t)alt, (uint16_t)n, NULL, 0);
    return r < 0 ? (r == LIBUSB_ERROR_PIPE ? LIBUSB_ERROR_NOT_FOUND : r) : LIBUSB_SUCCESS;
}

/* A bus reset: a device that left DFU mode is gone (it re-enumerates as the application). */
EXPORT int libusb_reset_device(libusb_device_handle *h)
{
    (void)h;
    if (!s.dev.connected || s.dev.left) return LIBUSB_ERROR_NOT_FOUND;
    dfu_device_bus_reset(&s.dev.device);
    keep_state();
    return LIBUSB_SUCCESS;
}

/* --- transfers ------------------------------------------------------------------------------------- */

EXPORT int libusb_control_transfer(libusb_device_handle *h, uint8_t request_type, uint8_t request, uint16_t value,
                                   uint16_t index, unsigned char *data, uint16_t length, unsigned int timeout)
{
    (void)h, (void)timeout;
    return control(request_type, request, value, index, data, length);
}

EXPORT int libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index, unsigned char *data, int length)
{
    (void)h;
    uint8_t d[256];
    int n = control(0x80, 6, (uint16_t)(0x0300 | index), 0x0409, d, sizeof d);
    if (n < 2 || length <= 0) return n < 0 ? n : LIBUSB_ERROR_IO;
    int chars = 0;
    for (int i = 2; i + 1 < n && chars < length - 1; i += 2) data[chars++] = d[i + 1] ? '?' : d[i];
    data[chars] = 0;
    return chars;
}

EXPORT int libusb_bulk_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data, int length,
                                int *transferred, unsigned int timeout)
{
    (void)h, (void)endpoint, (void)data, (void)length, (void)transferred, (void)timeout;
    return LIBUSB_ERROR_PIPE; /* a DFU device has endpoint 0 only */
}

EXPORT int libusb_interrupt_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data,
                                     int length, int *transferred, unsigned int timeout)
{
    return libusb_bulk_transfer(h, endpoint, data, length, transferred, timeout);
}
