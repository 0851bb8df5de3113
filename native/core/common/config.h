/* The build-time sizes of the core: one macro per size, set for the whole build (-D on every
 * translation unit that includes a core header: the core, its embedding, its tests) or left to
 * these defaults, which are the Node addon's. Buffer sizes derived from them are computed where
 * the buffers are declared (gdb_server.h, dap.h); the checks below and there refuse
 * combinations that cannot work.
 *
 *   GDB_PACKET_SIZE      the PacketSize the GDB server offers: the longest packet it takes and
 *                        the longest reply it sends (an `m` reply carries half as many bytes).
 *                        Its state holds about five times this (gdb_server.h).
 *   DAP_MAX_PACKET_SIZE  the largest CMSIS-DAP packet the DAP engine takes and answers.
 *   DAP_MAX_QUEUED       responses DAP_QueueCommands may hold back; the engine keeps
 *                        DAP_MAX_QUEUED + 1 response buffers of DAP_MAX_PACKET_SIZE.
 *
 * The probe firmware builds with GDB_PACKET_SIZE=4096 and DAP_MAX_PACKET_SIZE=1024
 * (scripts/cross-compile-core.sh checks that configuration against its RAM budget). */
#ifndef BMP_CONFIG_H
#define BMP_CONFIG_H

#ifdef __cplusplus
#define BMP_STATIC_ASSERT(cond, why) static_assert(cond, why)
#else
#define BMP_STATIC_ASSERT(cond, why) _Static_assert(cond, why)
#endif

#ifndef GDB_PACKET_SIZE
#define GDB_PACKET_SIZE 16384u /* `m` replies of 8 KiB */
#endif

#ifndef DAP_MAX_PACKET_SIZE
#define DAP_MAX_PACKET_SIZE 1024u
#endif

#ifndef DAP_MAX_QUEUED
#define DAP_MAX_QUEUED 8u
#endif

/* A `g` reply with the FPU registers (424 hex digits), a monitor command and the XML documents
 * in chunks need at least 1 KiB; past 1 MiB the buffers would only waste memory. */
BMP_STATIC_ASSERT(GDB_PACKET_SIZE >= 1024u && GDB_PACKET_SIZE <= 0x100000u,
                  "GDB_PACKET_SIZE must be from 1 KiB to 1 MiB");
/* CMSIS-DAP: at least the 64 bytes of a full-speed HID report; the packet size travels in 16
 * bits (DAP_Info 0xFF, DAP_TransferBlock counts). */
BMP_STATIC_ASSERT(DAP_MAX_PACKET_SIZE >= 64u && DAP_MAX_PACKET_SIZE <= 0xFFFFu,
                  "DAP_MAX_PACKET_SIZE must be from 64 to 65535");
BMP_STATIC_ASSERT(DAP_MAX_QUEUED >= 1u && DAP_MAX_QUEUED <= 255u, "DAP_MAX_QUEUED must be from 1 to 255");

#endif
