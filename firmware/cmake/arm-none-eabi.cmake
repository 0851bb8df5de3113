# Toolchain for the probe firmware: Debian's gcc-arm-none-eabi with newlib (libnewlib-arm-none-eabi).
# Every firmware target is a Cortex-M7 in Thumb state with soft-float calls (the cores use no
# floating point worth an FPU; one ABI for the QEMU build and every board).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(BMP_FW_TRIPLE arm-none-eabi)
find_program(CMAKE_C_COMPILER ${BMP_FW_TRIPLE}-gcc REQUIRED)
find_program(CMAKE_ASM_COMPILER ${BMP_FW_TRIPLE}-gcc REQUIRED)
find_program(CMAKE_OBJCOPY ${BMP_FW_TRIPLE}-objcopy REQUIRED)
find_program(CMAKE_SIZE ${BMP_FW_TRIPLE}-size REQUIRED)

# No host program can run the compiler's output: test the compiler with a library, not a link.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(BMP_FW_CPU_FLAGS "-mcpu=cortex-m7 -mthumb -mfloat-abi=soft")
set(CMAKE_C_FLAGS_INIT "${BMP_FW_CPU_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${BMP_FW_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${BMP_FW_CPU_FLAGS} -specs=nano.specs")

# Libraries and headers come from the cross toolchain only, never from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
