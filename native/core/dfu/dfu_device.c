/* The DfuSe device: DFU 1.1's state machine in DFU mode with ST's DfuSe commands, writing one
 * region through flash operations (dfu_device.h). The transitions follow DFU 1.1, appendix A;
 * the one DfuSe addition is that a zero-length DFU_DNLOAD is taken in dfuIDLE too (DfuSe hosts
 * send "leave" after DFU_ABORT). */
#include "dfu/dfu_device.h"

#include <string.h>

#include "common/bytes.h"

#define CHECK_CHUNK 64u /* bytes read at a time when checking an erase or a program */

static const uint8_t commands[] = {DFUSE_CMD_GET_COMMANDS, DFUSE_CMD_SET_ADDRESS, DFUSE_CMD_ERASE};

uint32_t dfu_region_size(const dfu_config *config)
{
    uint32_t total = 0;
    for (unsigned g = 0; g < config->sector_groups; g++) total += config->sectors[g].count * config->sectors[g].size;
    return total;
}

bool dfu_region_sector(const dfu_config *config, uint32_t address, uint32_t *start, uint32_t *size)
{
    if (address < config->base) return false;
    uint32_t at = config->base;
    for (unsigned g = 0; g < config->sector_groups; g++) {
        const dfu_sector_group *s = &config->sectors[g];
        uint32_t span = s->count * s->size;
        if (address - at < span) {
            *start = at + (address - at) / s->size * s->size;
            *size = s->size;
            return true;
        }
        at += span;
    }
    return false;
}

bool dfu_device_init(dfu_device *d, const dfu_config *config)
{
    memset(d, 0, sizeof *d);
    const dfu_flash_ops *ops = config->ops;
    if (!ops || !ops->erase || !ops->program || !ops->read || !config->name) return false;
    if (config->transfer_size < 64u || config->transfer_size > DFU_MAX_TRANSFER) return false;
    uint16_t unit = config->program_unit;
    if (!unit || (unit & (unit - 1u)) || unit > config->transfer_size) return false;
    if (!config->sector_groups || config->sector_groups > DFU_MAX_SECTOR_GROUPS) return false;
    uint64_t total = 0;
    for (unsigned g = 0; g < config->sector_groups; g++) {
        const dfu_sector_group *s = &config->sectors[g];
        if (!s->count || !s->size || s->size % unit) return false;
        total += (uint64_t)s->count * s->size;
    }
    if ((uint64_t)config->base + total > 0x100000000ull) return false;
    d->config = *config;
    d->region_size = (uint32_t)total;
    d->state = DFU_STATE_IDLE;
    d->status = DFU_STATUS_OK;
    d->pointer = config->base;
    return true;
}

void dfu_device_bus_reset(dfu_device *d)
{
    d->state = DFU_STATE_IDLE;
    d->status = DFU_STATUS_OK;
    d->work = DFU_WORK_NONE;
    d->announced = d->delivered = false;
    d->pointer = d->config.base;
}

static bool inside(const dfu_device *d, uint32_t address)
{
    return address >= d->config.base && address - d->config.base < d->region_size;
}

/* The request cannot be taken: stall it, and enter dfuERROR (keeping the status of an error
 * already there, which says more than errSTALLEDPKT). */
static bool refuse(dfu_device *d)
{
    if (d->state != DFU_STATE_ERROR) d->status = DFU_STATUS_ERR_STALLEDPKT;
    d->state = DFU_STATE_ERROR;
    d->work = DFU_WORK_NONE;
    d->announced = d->delivered = false;
    return false;
}

void dfu_device_stalled(dfu_device *d)
{
    refuse(d);
}

static void fail(dfu_device *d, dfu_status status)
{
    d->state = DFU_STATE_ERROR;
    d->status = status;
}

/* ---- the work ---- */

/* Whether [address, address + length) reads as erased (or, with `expected`, as those bytes).
 * Erased is checked a word at a time: a sector is up to 128 KiB. */
static bool reads_back(dfu_device *d, uint32_t address, uint32_t length, const uint8_t *expected)
{
    uint32_t chunk[CHECK_CHUNK / 4];
    for (uint32_t done = 0; done < length;) {
        uint32_t n = length - done < CHECK_CHUNK ? length - done : CHECK_CHUNK;
        d->config.ops->read(d->config.ops->ctx, address + done, (uint8_t *)chunk, n);
        if (expected) {
            if (memcmp(chunk, expected + done, n) != 0) return false;
        } else {
            uint32_t all = 0xFFFFFFFFu;
            for (uint32_t i = 0; i < n / 4; i++) all &= chunk[i];
            for (uint32_t i = n & ~3u; i < n; i++) all &= 0xFFFFFF00u | ((const uint8_t *)chunk)[i];
            if (all != 0xFFFFFFFFu) return false;
        }
        done += n;
    }
    return true;
}

static dfu_status erase_sector(dfu_device *d, uint32_t address)
{
    uint32_t start, size;
    if (!dfu_region_sector(&d->config, address, &start, &size)) return DFU_STATUS_ERR_TARGET;
    const dfu_flash_ops *ops = d->config.ops;
    uint8_t status = ops->erase(ops->ctx, start, size);
    if (status != DFU_STATUS_OK) return (dfu_status)status;
    return reads_back(d, start, size, NULL) ? DFU_STATUS_OK : DFU_STATUS_ERR_CHECK_ERASED;
}

static dfu_status program_block(dfu_device *d)
{
    uint32_t address = d->work_address, length = d->block_length;
    if (!inside(d, address) || length > d->region_size - (address - d->config.base) ||
        address % d->config.program_unit)
        return DFU_STATUS_ERR_ADDRESS;
    /* Flash is programmed once per erase: a block over anything but erased memory fails. */
    if (!reads_back(d, address, length, NULL)) return DFU_STATUS_ERR_WRITE;
    const dfu_flash_ops *ops = d->config.ops;
    uint8_t status = ops->program(ops->ctx, address, d->block, length);
    if (status != DFU_STATUS_OK) return (dfu_status)status;
    return reads_back(d, address, length, d->block) ? DFU_STATUS_OK : DFU_STATUS_ERR_VERIFY;
}

static dfu_status do_work(dfu_device *d, dfu_work work)
{
    switch (work) {
    case DFU_WORK_SET_ADDRESS:
        if (!inside(d, d->work_address)) return DFU_STATUS_ERR_TARGET;
        d->pointer = d->work_address;
        return DFU_STATUS_OK;
    case DFU_WORK_ERASE:
        return inside(d, d->work_address) ? erase_sector(d, d->work_address) : DFU_STATUS_ERR_TARGET;
    case DFU_WORK_ERASE_ALL:
        for (uint32_t at = d->config.base; at - d->config.base < d->region_size;) {
            uint32_t start, size;
            dfu_region_sector(&d->config, at, &start, &size);
            dfu_status status = erase_sector(d, at);
            if (status != DFU_STATUS_OK) return status;
            at = start + size;
        }
        return DFU_STATUS_OK;
    case DFU_WORK_PROGRAM:
        return program_block(d);
    case DFU_WORK_REFUSE:
        return d->refusal;
    default:
        return DFU_STATUS_ERR_UNKNOWN;
    }
}

bool dfu_device_run(dfu_device *d)
{
    if (d->work == DFU_WORK_NONE || !d->delivered) return false;
    dfu_work work = d->work;
    d->work = DFU_WORK_NONE;
    d->announced = d->delivered = false;
    if (work == DFU_WORK_MANIFEST) {
        /* Nothing to write: the blocks are in flash already. A tolerant device goes back to
         * dfuMANIFEST-SYNC (and then dfuIDLE); the others leave. */
        if (d->config.attributes & DFU_ATTR_MANIFESTATION_TOLERANT) {
            d->state = DFU_STATE_MANIFEST_SYNC;
        } else {
            d->state = DFU_STATE_MANIFEST_WAIT_RESET;
            if (d->config.ops->leave) d->config.ops->leave(d->config.ops->ctx);
        }
        return true;
    }
    dfu_status status = do_work(d, work);
    if (status == DFU_STATUS_OK)
        d->state = DFU_STATE_DNLOAD_SYNC;
    else
        fail(d, status);
    return true;
}

void dfu_device_delivered(dfu_device *d)
{
    if (d->announced) d->delivered = true;
}

/* ---- the requests ---- */

/* How long the recorded work takes, for bwPollTimeout. */
static uint32_t work_ms(const dfu_device *d)
{
    uint32_t start, size;
    switch (d->work) {
    case DFU_WORK_ERASE:
        if (!dfu_region_sector(&d->config, d->work_address, &start, &size)) return 0;
        for (unsigned g = 0; g < d->config.sector_groups; g++)
            if (d->config.sectors[g].size == size) return d->config.sectors[g].erase_ms;
        return 0;
    case DFU_WORK_ERASE_ALL: {
        uint32_t total = 0;
        for (unsigned g = 0; g < d->config.sector_groups; g++)
            total += d->config.sectors[g].count * d->config.sectors[g].erase_ms;
        return total;
    }
    case DFU_WORK_PROGRAM:
        return (d->block_length * d->config.program_ms_per_kib + 1023u) / 1024u;
    case DFU_WORK_MANIFEST:
        return 10u; /* until the device resets, or goes back to dfuMANIFEST-SYNC */
    default:
        return 0;
    }
}

static uint16_t get_status(dfu_device *d, uint8_t *out)
{
    d->poll_ms = 0;
    if (d->work != DFU_WORK_NONE) {
        d->poll_ms = work_ms(d);
        if (d->poll_ms > 0xFFFFFFu) d->poll_ms = 0xFFFFFFu;
        d->state = d->work == DFU_WORK_MANIFEST ? DFU_STATE_MANIFEST : DFU_STATE_DNBUSY;
        d->announced = true;
    } else if (d->state == DFU_STATE_DNLOAD_SYNC) {
        d->state = DFU_STATE_DNLOAD_IDLE;
    } else if (d->state == DFU_STATE_MANIFEST_SYNC) {
        d->state = DFU_STATE_IDLE; /* a tolerant device, manifestation done */
    }
    out[0] = (uint8_t)d->status;
    out[1] = (uint8_t)d->poll_ms;
    out[2] = (uint8_t)(d->poll_ms >> 8);
    out[3] = (uint8_t)(d->poll_ms >> 16);
    out[4] = (uint8_t)d->state;
    out[5] = 0; /* iString */
    return DFU_STATUS_LENGTH;
}

/* Block 0 of DFU_DNLOAD: a DfuSe command. */
static bool command(dfu_device *d, const uint8_t *data, uint16_t length)
{
    if (length == 5 && data[0] == DFUSE_CMD_SET_ADDRESS) {
        d->work = DFU_WORK_SET_ADDRESS;
    } else if (length == 5 && data[0] == DFUSE_CMD_ERASE) {
        d->work = DFU_WORK_ERASE;
    } else if (length == 1 && data[0] == DFUSE_CMD_ERASE) {
        d->work = DFU_WORK_ERASE_ALL; /* "mass erase": the region's sectors, nothing else */
    } else if (length == 1 && data[0] == DFUSE_CMD_READ_UNPROTECT) {
        d->work = DFU_WORK_REFUSE; /* it would erase everything, the bootloader included */
        d->refusal = DFU_STATUS_ERR_TARGET;
    } else {
        return false;
    }
    d->work_address = length == 5 ? get_le32(&data[1]) : 0;
    return true;
}

static bool download(dfu_device *d, uint16_t block, const uint8_t *data, uint16_t length)
{
    if (length == 0) {
        /* The end of the download ("leave" in DfuSe). */
        if (d->state != DFU_STATE_DNLOAD_IDLE && d->state != DFU_STATE_IDLE) return refuse(d);
        d->state = DFU_STATE_MANIFEST_SYNC;
        d->work = DFU_WORK_MANIFEST;
        return true;
    }
    if (d->state != DFU_STATE_IDLE && d->state != DFU_STATE_DNLOAD_IDLE) return refuse(d);
    if (!(d->config.attributes & DFU_ATTR_CAN_DNLOAD) || length > d->config.transfer_size || !data) return refuse(d);
    if (block == 0) {
        if (!command(d, data, length)) return refuse(d);
    } else if (block >= DFUSE_FIRST_DATA_BLOCK) {
        uint64_t address = (uint64_t)d->pointer + (uint64_t)(block - DFUSE_FIRST_DATA_BLOCK) * d->config.transfer_size;
        memcpy(d->block, data, length);
        d->block_length = length;
        d->work_address = (uint32_t)address;
        d->work = DFU_WORK_PROGRAM;
        if (address > 0xFFFFFFFFull) { /* past 4 GiB: outside any region */
            d->work = DFU_WORK_REFUSE;
            d->refusal = DFU_STATUS_ERR_ADDRESS;
        }
    } else {
        return refuse(d); /* block 1 means nothing */
    }
    d->state = DFU_STATE_DNLOAD_SYNC;
    return true;
}

static bool upload(dfu_device *d, uint16_t block, uint8_t *data, uint16_t asked, uint16_t *length)
{
    if (d->state != DFU_STATE_IDLE && d->state != DFU_STATE_UPLOAD_IDLE) return refuse(d);
    if (!(d->config.attributes & DFU_ATTR_CAN_UPLOAD) || asked == 0 || asked > d->config.transfer_size) return refuse(d);
    uint32_t n;
    if (block == 0) {
        n = sizeof commands < asked ? sizeof commands : asked;
        memcpy(data, commands, n);
    } else if (block >= DFUSE_FIRST_DATA_BLOCK) {
        uint64_t address = (uint64_t)d->pointer + (uint64_t)(block - DFUSE_FIRST_DATA_BLOCK) * d->config.transfer_size;
        if (address > 0xFFFFFFFFull || !inside(d, (uint32_t)address)) {
            refuse(d);
            d->status = DFU_STATUS_ERR_ADDRESS;
            return false;
        }
        uint32_t left = d->region_size - ((uint32_t)address - d->config.base);
        n = left < asked ? left : asked;
        d->config.ops->read(d->config.ops->ctx, (uint32_t)address, data, n);
    } else {
        return refuse(d);
    }
    *length = (uint16_t)n;
    /* A short frame ends the upload. */
    d->state = n < asked ? DFU_STATE_IDLE : DFU_STATE_UPLOAD_IDLE;
    return true;
}

bool dfu_device_request(dfu_device *d, const uint8_t setup[8], uint8_t *data, uint16_t *length)
{
    *length = 0;
    /* A request that comes while announced work waits for it (a device busy with it would NAK
     * the request until it is done). */
    if (d->work != DFU_WORK_NONE && d->delivered) dfu_device_run(d);
    bool in = (setup[0] & 0x80u) != 0;
    uint16_t value = get_le16(&setup[2]), asked = get_le16(&setup[6]);
    /* Gone: waiting for the reset that ends DFU mode, it takes nothing and stays. */
    if (d->state == DFU_STATE_MANIFEST_WAIT_RESET) return false;
    /* Busy: a request the host should not have sent yet. */
    if (d->state == DFU_STATE_DNBUSY || d->state == DFU_STATE_MANIFEST) return refuse(d);
    switch (setup[1]) {
    case DFU_REQ_GETSTATUS:
        if (!in || asked < DFU_STATUS_LENGTH) return refuse(d);
        *length = get_status(d, data);
        return true;
    case DFU_REQ_GETSTATE:
        if (!in || asked < 1) return refuse(d);
        data[0] = (uint8_t)d->state;
        *length = 1;
        return true;
    case DFU_REQ_CLRSTATUS:
        if (in || d->state != DFU_STATE_ERROR) return refuse(d);
        d->state = DFU_STATE_IDLE;
        d->status = DFU_STATUS_OK;
        return true;
    case DFU_REQ_ABORT:
        if (in) return refuse(d);
        switch (d->state) {
        case DFU_STATE_IDLE:
        case DFU_STATE_DNLOAD_SYNC:
        case DFU_STATE_DNLOAD_IDLE:
        case DFU_STATE_MANIFEST_SYNC:
        case DFU_STATE_UPLOAD_IDLE:
            d->state = DFU_STATE_IDLE;
            d->work = DFU_WORK_NONE;
            d->announced = d->delivered = false;
            return true;
        default:
            return refuse(d);
        }
    case DFU_REQ_DNLOAD:
        if (in) return refuse(d);
        return download(d, value, data, asked);
    case DFU_REQ_UPLOAD:
        if (!in) return refuse(d);
        return upload(d, value, data, asked, length);
    case DFU_REQ_DETACH: /* appDETACH is not this device's: it is in DFU mode already */
    default:
        return refuse(d);
    }
}

/* ---- the alternate setting's string ---- */

typedef struct text {
    char *out;
    size_t cap, len;
} text;

static void put(text *t, char c)
{
    if (t->len < t->cap) t->out[t->len] = c;
    t->len++;
}

static void put_str(text *t, const char *s)
{
    while (*s) put(t, *s++);
}

/* `v` in decimal, at least `digits` digits (zero padded). */
static void put_dec(text *t, uint32_t v, unsigned digits)
{
    char buffer[10];
    unsigned n = 0;
    do {
        buffer[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n < digits) buffer[n++] = '0';
    while (n) put(t, buffer[--n]);
}

size_t dfu_alt_string(const dfu_config *config, char *out, size_t cap)
{
    text t = {out, cap, 0};
    put(&t, '@');
    put_str(&t, config->name);
    put_str(&t, " /0x");
    for (int shift = 28; shift >= 0; shift -= 4) put(&t, "0123456789ABCDEF"[(config->base >> shift) & 0xFu]);
    put(&t, '/');
    for (unsigned g = 0; g < config->sector_groups; g++) {
        const dfu_sector_group *s = &config->sectors[g];
        if (g) put(&t, ',');
        put_dec(&t, s->count, 2);
        put(&t, '*');
        bool kib = s->size % 1024u == 0;
        put_dec(&t, kib ? s->size / 1024u : s->size, 3);
        put(&t, kib ? 'K' : ' ');
        put(&t, 'g'); /* readable, erasable, writable */
    }
    if (t.len >= cap) return 0;
    out[t.len] = '\0';
    return t.len;
}

const char *dfu_state_name(unsigned state)
{
    static const char *const names[] = {"appIDLE",       "appDETACH",     "dfuIDLE",
                                        "dfuDNLOAD-SYNC", "dfuDNBUSY",    "dfuDNLOAD-IDLE",
                                        "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET",
                                        "dfuUPLOAD-IDLE", "dfuERROR"};
    return state < sizeof names / sizeof names[0] ? names[state] : "unknown state";
}

const char *dfu_status_name(unsigned status)
{
    static const char *const names[] = {"OK",          "errTARGET",  "errFILE",      "errWRITE",
                                        "errERASE",    "errCHECK_ERASED", "errPROG", "errVERIFY",
                                        "errADDRESS",  "errNOTDONE", "errFIRMWARE",  "errVENDOR",
                                        "errUSBR",     "errPOR",     "errUNKNOWN",   "errSTALLEDPKT"};
    return status < sizeof names / sizeof names[0] ? names[status] : "unknown status";
}
