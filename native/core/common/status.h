/* The one error-status type of the core. Every function of the core that can fail returns a
 * bmp_status: BMP_OK (0) or one of the negative errors below, whichever layer found it (the
 * wire, the debug port, the core, the flash loader, the flash drivers). The embedding maps them
 * to its own errors (the Node addon: native/addon/errors.cc). */
#ifndef BMP_STATUS_H
#define BMP_STATUS_H

/* X(name, value, message): one line per status, the single list the enum and the messages come
 * from. Values are stable within a build only; compare against the names. */
#define BMP_STATUS_LIST(X)                                                                          \
    X(BMP_OK, 0, "success")                                                                         \
    /* the wire and the probe (dp_link) */                                                          \
    /* past the link's retry limit */                                                               \
    X(BMP_ERR_WAIT, -1, "the target kept answering WAIT")                                           \
    /* FAULT: a sticky error is set in CTRL/STAT */                                                 \
    X(BMP_ERR_FAULT, -2, "the access faulted (bus error at that address?)")                         \
    /* no ACK: the target is absent or the line protocol was lost */                                \
    X(BMP_ERR_NO_RESPONSE, -3, "the target does not answer")                                        \
    X(BMP_ERR_PARITY, -4, "read data parity error")                                                 \
    /* the probe or its transport failed */                                                         \
    X(BMP_ERR_TRANSPORT, -5, "the probe did not answer as expected")                                \
    /* an argument, address, size or register the layer or the hardware cannot take */              \
    X(BMP_ERR_INVALID, -6, "invalid argument")                                                      \
    /* the target layer (cortexm, probe_session) */                                                 \
    /* no halt, or a register transfer that never completed */                                      \
    X(BMP_ERR_TIMEOUT, -7, "the core did not respond in time")                                      \
    X(BMP_ERR_NOT_HALTED, -8, "the core must be halted")                                            \
    /* FPB or DWT comparator, or breakpoint slot */                                                 \
    X(BMP_ERR_NO_RESOURCE, -9, "no free comparator")                                                \
    X(BMP_ERR_NOT_ATTACHED, -10, "no target is attached")                                           \
    X(BMP_ERR_NO_TARGET, -11, "the scan found no Cortex-M core by that number")                     \
    /* the on-target flash routine (flash_loader) */                                                \
    /* its SR error bits go to the caller */                                                        \
    X(BMP_ERR_LOADER_FLASH, -12, "the flash controller reported an error to the flash routine")     \
    X(BMP_ERR_LOADER_TIMEOUT, -13, "the flash routine on the target made no progress")              \
    /* HardFault, lockup, a halt by someone else */                                                 \
    X(BMP_ERR_LOADER_FAULT, -14, "the flash routine on the target stopped before it finished")      \
    /* the flash drivers (flash) */                                                                 \
    /* WRPERR / WRPRTERR */                                                                         \
    X(BMP_ERR_FLASH_PROTECTED, -15, "the flash is write-protected (option bytes)")                  \
    /* PGSERR / STRBERR / INCERR / OPERR */                                                         \
    X(BMP_ERR_FLASH_SEQUENCE, -16, "the flash controller reported a programming sequence error")    \
    /* PGAERR / PGPERR */                                                                           \
    X(BMP_ERR_FLASH_ALIGNMENT, -17, "the flash controller reported an alignment or width error")    \
    /* F1 PGERR */                                                                                  \
    X(BMP_ERR_FLASH_NOT_ERASED, -18, "the flash was not erased where it was programmed")            \
    X(BMP_ERR_FLASH_LOCKED, -19, "the flash controller stays locked (a wrong key locks it until reset)") \
    /* longer than any operation takes */                                                           \
    X(BMP_ERR_FLASH_TIMEOUT, -20, "the flash stayed busy too long")                                 \
    X(BMP_ERR_FLASH_OUTSIDE, -21, "the range is not all in the part's flash")                       \
    X(BMP_ERR_FLASH_UNKNOWN_PART, -22, "no flash driver for this part")                             \
    X(BMP_ERR_VERIFY, -23, "verification failed: the flash content differs from the image")         \
    /* dp_link read_match: the value never matched within the retries */                           \
    X(BMP_ERR_MISMATCH, -24, "the target did not reach the state waited for")                     \
    /* flash_rdp_regress at level 2 */                                                              \
    X(BMP_ERR_RDP_PERMANENT, -25, "read-out protection is at level 2, which is permanent: nothing can change the part") \
    /* a family's attach check: the part's access-port protection refuses the debugger */           \
    X(BMP_ERR_AP_PROTECTED, -26, "the part's access-port protection refuses the debugger: its recovery erases the chip (monitor erase_mass)")

#define BMP_STATUS_ENUMERATOR(name, value, message) name = value,
typedef enum bmp_status { BMP_STATUS_LIST(BMP_STATUS_ENUMERATOR) } bmp_status;
#undef BMP_STATUS_ENUMERATOR

/* The enumerator's name ("BMP_ERR_WAIT"), or NULL for a value that is no status. */
const char *bmp_status_name(bmp_status status);
/* A sentence for messages ("the target kept answering WAIT"), or NULL for a value that is no
 * status. */
const char *bmp_status_message(bmp_status status);

#endif
