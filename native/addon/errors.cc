#include "errors.h"

extern "C" {
#include "common/status.h"
}

namespace bmp {

namespace {

// No default: the compiler points at a status added to the core without a code here.
const char *CodeOf(bmp_status status)
{
    switch (status) {
    case BMP_OK: break; // not an error: reaching here is a bug
    case BMP_ERR_WAIT: return "ETIMEDOUT";
    case BMP_ERR_FAULT: return "EBUSFAULT";
    case BMP_ERR_NO_RESPONSE: return "ENOTARGET";
    case BMP_ERR_PARITY: return "EPROTO";
    case BMP_ERR_TRANSPORT: return "EPROBE";
    case BMP_ERR_INVALID: return "EINVAL";
    case BMP_ERR_TIMEOUT: return "ETIMEDOUT";
    case BMP_ERR_NOT_HALTED: return "ENOTHALTED";
    case BMP_ERR_NO_RESOURCE: return "ENORESOURCE";
    case BMP_ERR_NOT_ATTACHED: return "ENOTATTACHED";
    case BMP_ERR_NO_TARGET: return "ENOTARGET";
    case BMP_ERR_LOADER_FLASH: return "EFLASH";
    case BMP_ERR_LOADER_TIMEOUT: return "ETIMEDOUT";
    case BMP_ERR_LOADER_FAULT: return "EFLASH";
    case BMP_ERR_FLASH_PROTECTED: return "EPROTECTED";
    case BMP_ERR_FLASH_SEQUENCE: return "EFLASH";
    case BMP_ERR_FLASH_ALIGNMENT: return "EFLASH";
    case BMP_ERR_FLASH_NOT_ERASED: return "EFLASH";
    case BMP_ERR_FLASH_LOCKED: return "ELOCKED";
    case BMP_ERR_FLASH_TIMEOUT: return "ETIMEDOUT";
    case BMP_ERR_FLASH_OUTSIDE: return "ERANGE";
    case BMP_ERR_FLASH_UNKNOWN_PART: return "EFLASH";
    case BMP_ERR_VERIFY: return "EVERIFY";
    case BMP_ERR_MISMATCH: return "ETIMEDOUT";
    case BMP_ERR_RDP_PERMANENT: return "EPROTECTED";
    case BMP_ERR_AP_PROTECTED: return "EPROTECTED";
    }
    return nullptr;
}

} // namespace

const char *CodeForStatus(int status, const char **message)
{
    const char *code = CodeOf(static_cast<bmp_status>(status));
    const char *text = bmp_status_message(static_cast<bmp_status>(status));
    if (!code || !text) {
        *message = "internal error: the native core returned a status this version does not know";
        return "EINTERNAL";
    }
    *message = text;
    return code;
}

} // namespace bmp
