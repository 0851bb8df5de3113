# The boards' DfuSe bootloaders (firmware/bootloader), included by boards.cmake after the
# application images: one <board>-bootloader image for each board whose JSON says its bootloader
# is our own (bootloader.kind "own"), linked at flash.bootloader with the bootloader.ld that
# gen-board.mjs writes beside the board's header. It links the DfuSe core from bmp_core_fw, the
# USB stack (the device core, the DFU class, the DWC2 driver), the chip support without the SWD
# wire and the UART bridge, and the family's flash controller code.
set(BMP_BOOTLOADER_TARGETS)
set(BMP_BOOTLOADER_FLASH_stm32f72x ${CMAKE_CURRENT_SOURCE_DIR}/bootloader/flash_stm32f72x.c)
set(BMP_BOOTLOADER_FLASH_stm32h7 ${CMAKE_CURRENT_SOURCE_DIR}/bootloader/flash_stm32h7.c)
foreach(json ${BMP_BOARD_FILES})
  get_filename_component(board ${json} NAME_WE)
  file(READ ${json} board_json)
  string(JSON kind GET "${board_json}" bootloader kind)
  if(NOT kind STREQUAL "own")
    continue()
  endif()
  string(JSON family GET "${board_json}" mcu family)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/boards/${board})
  set(target ${board}-bootloader)
  add_executable(${target}
    ${CMAKE_CURRENT_SOURCE_DIR}/bootloader/main.c
    ${BMP_BOOTLOADER_FLASH_${family}}
    ${CMAKE_CURRENT_SOURCE_DIR}/board/board_usb.c
    ${CMAKE_CURRENT_SOURCE_DIR}/board/board_base.c
    ${CMAKE_CURRENT_SOURCE_DIR}/chip/startup.c
    ${CMAKE_CURRENT_SOURCE_DIR}/chip/chip_common.c
    ${CMAKE_CURRENT_SOURCE_DIR}/chip/gpio.c
    ${BMP_CHIP_${family}}
    ${BMP_USB_SOURCES}
    ${gen}/board_config.h)
  set_target_properties(${target} PROPERTIES SUFFIX .elf C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_include_directories(${target} PRIVATE ${gen} ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE -Os -ffreestanding -ffunction-sections -fdata-sections -Wall -Wextra -Werror)
  target_link_libraries(${target} PRIVATE bmp_core_fw)
  target_link_options(${target} PRIVATE
    -nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments
    -L${CMAKE_CURRENT_SOURCE_DIR}/board -T${gen}/bootloader.ld
    -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/${target}.map)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${gen}/bootloader.ld ${CMAKE_CURRENT_SOURCE_DIR}/board/sections.ld)
  list(APPEND BMP_BOOTLOADER_TARGETS ${target})
endforeach()
