/* The virtual DfuSe device (sim_dfu.h). */
#include "sim_dfu.h"

#include <string.h>

#include "common/bytes.h"

#define REQ_GET_STATUS 0u
#define REQ_CLEAR_FEATURE 1u
#define REQ_SET_FEATURE 3u
#define REQ_SET_ADDRESS 5u
#define REQ_GET_DESCRIPTOR 6u
#define REQ_GET_CONFIGURATION 8u
#define REQ_SET_CONFIGURATION 9u
#define REQ_GET_INTERFACE 10u
#define REQ_SET_INTERFACE 11u
#define TYPE_MASK 0x60u
#define TYPE_STANDARD 0x00u
#define TYPE_CLASS 0x20u
#define RECIPIENT_MASK 0x1Fu
#define RECIPIENT_DEVICE 0u
#define RECIPIENT_INTERFACE 1u

/* Where [address, address + length) lies in the model, or NULL outside the flash. */
static uint8_t *model_at(const sim_dfu *v, uint32_t address, uint32_t length)
{
    const sim_dfu_config *c = &v->config;
    if (address < c->flash_base || address - c->flash_base > c->flash_size ||
        length > c->flash_size - (address - c->flash_base))
        return NULL;
    return c->flash + (address - c->flash_base);
}

static bool in_region(const sim_dfu *v, uint32_t address, uint32_t length)
{
    uint32_t base = v->config.dfu.base, size = v->device.region_size;
    return address >= base && address - base <= size && length <= size - (address - base);
}

/* The at-th event of the armed fault's kind fires it (once). */
static bool fires(sim_dfu *v, sim_dfu_fault kind, uint32_t count)
{
    if (v->fault != kind || count != v->fault_at) return false;
    v->fault = SIM_DFU_FAULT_NONE;
    return true;
}

static uint8_t model_erase(void *ctx, uint32_t address, uint32_t size)
{
    sim_dfu *v = ctx;
    uint8_t *p = model_at(v, address, size);
    if (!in_region(v, address, size)) v->outside++;
    if (!p) return DFU_STATUS_ERR_ERASE;
    memset(p, 0xFF, size);
    v->erases++;
    if (fires(v, SIM_DFU_FAULT_ERR_CHECK_ERASED, v->erases)) p[size / 2u] = 0x00;
    return DFU_STATUS_OK;
}

static uint8_t model_program(void *ctx, uint32_t address, const uint8_t *data, uint32_t length)
{
    sim_dfu *v = ctx;
    uint8_t *p = model_at(v, address, length);
    if (!in_region(v, address, length)) v->outside++;
    if (!p) return DFU_STATUS_ERR_PROG;
    v->programs++;
    if (fires(v, SIM_DFU_FAULT_ERR_TARGET, v->programs)) return DFU_STATUS_ERR_TARGET;
    for (uint32_t i = 0; i < length; i++) p[i] &= data[i];
    /* A weak cell: the first byte to program keeps one of its bits at 1. */
    if (fires(v, SIM_DFU_FAULT_ERR_VERIFY, v->programs)) {
        for (uint32_t i = 0; i < length; i++) {
            uint8_t zeros = (uint8_t)~data[i];
            if (zeros) {
                p[i] |= (uint8_t)(zeros & (uint8_t)-zeros); /* its lowest 0 bit stays 1 */
                break;
            }
        }
    }
    return DFU_STATUS_OK;
}

static void model_read(void *ctx, uint32_t address, uint8_t *data, uint32_t length)
{
    const sim_dfu *v = ctx;
    const uint8_t *p = model_at(v, address, length);
    if (p)
        memcpy(data, p, length);
    else
        memset(data, 0xFF, length);
}

static void model_leave(void *ctx)
{
    sim_dfu *v = ctx;
    v->left = true;
}

bool sim_dfu_init(sim_dfu *v, const sim_dfu_config *config)
{
    memset(v, 0, sizeof *v);
    v->config = *config;
    if (config->dfu.sector_groups > DFU_MAX_SECTOR_GROUPS || !config->flash) return false;
    memcpy(v->config.sectors, config->dfu.sectors, config->dfu.sector_groups * sizeof(dfu_sector_group));
    v->config.dfu.sectors = v->config.sectors;
    v->ops = (dfu_flash_ops){v, model_erase, model_program, model_read, model_leave};
    v->config.dfu.ops = &v->ops;
    if (!dfu_device_init(&v->device, &v->config.dfu)) return false;
    if (!model_at(v, v->config.dfu.base, v->device.region_size)) return false;
    v->connected = true;
    return true;
}

void sim_dfu_set_fault(sim_dfu *v, sim_dfu_fault fault, uint32_t at)
{
    v->fault = fault;
    v->fault_at = at;
    /* Counted from now on */
    v->blocks = v->erases = v->programs = 0;
}

void sim_dfu_reconnect(sim_dfu *v)
{
    v->connected = true;
    v->left = false;
    v->configuration = 0;
    dfu_device_bus_reset(&v->device);
}

static sim_dfu_result answer(bool ok)
{
    return ok ? SIM_DFU_OK : SIM_DFU_STALL;
}

static sim_dfu_result standard(sim_dfu *v, const uint8_t setup[8], uint8_t *data, uint16_t *length)
{
    uint8_t recipient = setup[0] & RECIPIENT_MASK;
    uint16_t value = get_le16(&setup[2]), index = get_le16(&setup[4]), asked = get_le16(&setup[6]);
    switch (setup[1]) {
    case REQ_GET_DESCRIPTOR: {
        if (recipient != RECIPIENT_DEVICE) return SIM_DFU_STALL;
        uint8_t buffer[256];
        uint16_t n = dfu_desc_get(&v->config.desc, &v->config.dfu, (uint8_t)(value >> 8), (uint8_t)value, buffer,
                                  sizeof buffer);
        if (!n) return SIM_DFU_STALL;
        *length = n < asked ? n : asked;
        memcpy(data, buffer, *length);
        return SIM_DFU_OK;
    }
    case REQ_SET_ADDRESS: return SIM_DFU_OK;
    case REQ_GET_CONFIGURATION:
        if (asked < 1) return SIM_DFU_STALL;
        data[0] = v->configuration;
        *length = 1;
        return SIM_DFU_OK;
    case REQ_SET_CONFIGURATION:
        if (value > 1) return SIM_DFU_STALL;
        v->configuration = (uint8_t)value;
        return SIM_DFU_OK;
    case REQ_GET_INTERFACE:
        if (!v->configuration || index != DFU_DESC_INTERFACE || asked < 1) return SIM_DFU_STALL;
        data[0] = 0;
        *length = 1;
        return SIM_DFU_OK;
    case REQ_SET_INTERFACE:
        return answer(v->configuration && index == DFU_DESC_INTERFACE && value == 0);
    case REQ_GET_STATUS:
        if (asked < 2) return SIM_DFU_STALL;
        data[0] = data[1] = 0;
        *length = 2;
        return SIM_DFU_OK;
    case REQ_CLEAR_FEATURE:
    case REQ_SET_FEATURE:
        return SIM_DFU_OK; /* endpoint 0 only: nothing to halt */
    default:
        return SIM_DFU_STALL;
    }
}

sim_dfu_result sim_dfu_control(sim_dfu *v, const uint8_t setup[8], uint8_t *data, uint16_t *length)
{
    *length = 0;
    if (!v->connected || v->left) return SIM_DFU_GONE;
    uint8_t type = setup[0] & TYPE_MASK;
    if (type == TYPE_STANDARD) return standard(v, setup, data, length);
    if (type != TYPE_CLASS || (setup[0] & RECIPIENT_MASK) != RECIPIENT_INTERFACE ||
        get_le16(&setup[4]) != DFU_DESC_INTERFACE)
        return SIM_DFU_STALL;
    if (setup[1] == DFU_REQ_DNLOAD && get_le16(&setup[2]) >= DFUSE_FIRST_DATA_BLOCK && get_le16(&setup[6])) {
        v->blocks++;
        if (fires(v, SIM_DFU_FAULT_DISCONNECT, v->blocks)) {
            v->connected = false;
            return SIM_DFU_GONE;
        }
        if (fires(v, SIM_DFU_FAULT_STALL, v->blocks)) {
            dfu_device_stalled(&v->device);
            return SIM_DFU_STALL;
        }
    }
    if (!dfu_device_request(&v->device, setup, data, length)) return SIM_DFU_STALL;
    /* The answer is the host's as this returns: announced work runs now, before anything else
     * can reach the device (the host waits bwPollTimeout meanwhile). */
    dfu_device_delivered(&v->device);
    dfu_device_run(&v->device);
    return SIM_DFU_OK;
}

bool sim_dfu_boot_decision(const sim_dfu *v, const dfu_boot_inputs *inputs, dfu_boot_decision *decision)
{
    dfu_boot_inputs in = *inputs;
    in.app = model_at(v, in.app_base, in.app_size);
    if (!in.app) return false;
    *decision = dfu_boot_decide(&in);
    return true;
}
