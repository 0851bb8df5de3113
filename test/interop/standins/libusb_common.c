/* What both libusb-1.0 stand-ins (libusb.c, libusb_dfu.c) answer alike: the library itself,
 * device bookkeeping that has nothing to look up, kernel drivers (none), the asynchronous API
 * (not offered: no client of these devices needs it) and the error names. Written for this
 * project from the libusb-1.0 ABI; no libusb code. */
#include <stdlib.h>

#include "libusb_abi.h"

static libusb_context default_context;

/* Each stand-in's one configuration (value 1, index 0). */
EXPORT int libusb_get_config_descriptor(libusb_device *dev, uint8_t index, struct libusb_config_descriptor **out);

EXPORT int libusb_get_active_config_descriptor(libusb_device *dev, struct libusb_config_descriptor **out)
{
    return libusb_get_config_descriptor(dev, 0, out);
}

EXPORT int libusb_get_config_descriptor_by_value(libusb_device *dev, uint8_t value, struct libusb_config_descriptor **out)
{
    return value == 1 ? libusb_get_config_descriptor(dev, 0, out) : LIBUSB_ERROR_NOT_FOUND;
}


EXPORT int libusb_init(libusb_context **ctx)
{
    if (ctx) *ctx = &default_context;
    return LIBUSB_SUCCESS;
}

EXPORT void libusb_exit(libusb_context *ctx) { (void)ctx; }

EXPORT void libusb_set_debug(libusb_context *ctx, int level) { (void)ctx, (void)level; }

EXPORT int libusb_set_option(libusb_context *ctx, int option, ...) { (void)ctx, (void)option; return LIBUSB_SUCCESS; }

EXPORT const struct libusb_version *libusb_get_version(void)
{
    static const struct libusb_version version = {1, 0, 26, 0, "", "bmp-gdbserver stand-in"};
    return &version;
}

EXPORT int libusb_has_capability(uint32_t capability) { (void)capability; return 0; }

EXPORT void libusb_free_device_list(libusb_device **list, int unref)
{
    (void)unref;
    free(list);
}

EXPORT libusb_device *libusb_ref_device(libusb_device *dev) { return dev; }

EXPORT void libusb_unref_device(libusb_device *dev) { (void)dev; }

EXPORT void libusb_free_config_descriptor(struct libusb_config_descriptor *c) { (void)c; /* static */ }

EXPORT uint8_t libusb_get_bus_number(libusb_device *dev) { (void)dev; return 1; }

EXPORT uint8_t libusb_get_device_address(libusb_device *dev) { (void)dev; return 42; }

EXPORT uint8_t libusb_get_port_number(libusb_device *dev) { (void)dev; return 1; }

EXPORT libusb_device *libusb_get_parent(libusb_device *dev) { (void)dev; return NULL; }

EXPORT int libusb_get_port_numbers(libusb_device *dev, uint8_t *numbers, int length)
{
    (void)dev;
    if (length < 1) return LIBUSB_ERROR_INVALID_PARAM;
    numbers[0] = 1;
    return 1;
}

EXPORT int libusb_clear_halt(libusb_device_handle *h, unsigned char endpoint) { (void)h, (void)endpoint; return LIBUSB_SUCCESS; }

EXPORT int libusb_kernel_driver_active(libusb_device_handle *h, int n) { (void)h, (void)n; return 0; }

EXPORT int libusb_detach_kernel_driver(libusb_device_handle *h, int n) { (void)h, (void)n; return LIBUSB_ERROR_NOT_FOUND; }

EXPORT int libusb_attach_kernel_driver(libusb_device_handle *h, int n) { (void)h, (void)n; return LIBUSB_ERROR_NOT_FOUND; }

EXPORT int libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable) { (void)h, (void)enable; return LIBUSB_SUCCESS; }

EXPORT void *libusb_alloc_transfer(int iso_packets) { return calloc(1, 256 + (size_t)iso_packets * 16); }

EXPORT void libusb_free_transfer(void *transfer) { free(transfer); }

EXPORT int libusb_submit_transfer(void *transfer) { (void)transfer; return LIBUSB_ERROR_NOT_SUPPORTED; }

EXPORT int libusb_cancel_transfer(void *transfer) { (void)transfer; return LIBUSB_ERROR_NOT_FOUND; }

EXPORT int libusb_handle_events(libusb_context *ctx) { (void)ctx; return LIBUSB_SUCCESS; }

EXPORT int libusb_handle_events_completed(libusb_context *ctx, int *completed) { (void)ctx, (void)completed; return LIBUSB_SUCCESS; }

EXPORT int libusb_handle_events_timeout(libusb_context *ctx, void *tv) { (void)ctx, (void)tv; return LIBUSB_SUCCESS; }

EXPORT int libusb_handle_events_timeout_completed(libusb_context *ctx, void *tv, int *completed) { (void)ctx, (void)tv, (void)completed; return LIBUSB_SUCCESS; }

EXPORT const char *libusb_error_name(int code)
{
    switch (code) {
    case LIBUSB_SUCCESS: return "LIBUSB_SUCCESS";
    case LIBUSB_ERROR_IO: return "LIBUSB_ERROR_IO";
    case LIBUSB_ERROR_INVALID_PARAM: return "LIBUSB_ERROR_INVALID_PARAM";
    case LIBUSB_ERROR_NO_DEVICE: return "LIBUSB_ERROR_NO_DEVICE";
    case LIBUSB_ERROR_NOT_FOUND: return "LIBUSB_ERROR_NOT_FOUND";
    case LIBUSB_ERROR_TIMEOUT: return "LIBUSB_ERROR_TIMEOUT";
    case LIBUSB_ERROR_PIPE: return "LIBUSB_ERROR_PIPE";
    case LIBUSB_ERROR_NO_MEM: return "LIBUSB_ERROR_NO_MEM";
    case LIBUSB_ERROR_NOT_SUPPORTED: return "LIBUSB_ERROR_NOT_SUPPORTED";
    default: return "LIBUSB_ERROR_OTHER";
    }
}

EXPORT const char *libusb_strerror(int code) { return libusb_error_name(code); }
