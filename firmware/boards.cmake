# The probe boards: one application image per board description (boards/<name>.json), and a
# bootloader image for each board with one of its own (bootloader/bootloader.cmake), included at
# the end of firmware/CMakeLists.txt. Each image links the portable cores (bmp_core_fw), the
# probe application (bmp_app), the USB stack (every firmware/usb/*.c), its family's chip support
# (firmware/chip) and the board main (firmware/board), with a linker script generated from its
# JSON. Then scripts/firmware-images.mjs makes the images the package ships (firmware/images/:
# .elf, .bin, .hex, .dfu, manifest.json) and fails the build if an image passes its budget.
find_program(BMP_NODE node REQUIRED)

set(BMP_REPO_ROOT ${CMAKE_CURRENT_SOURCE_DIR}/..)
set(BMP_BOARD_GEN ${CMAKE_CURRENT_SOURCE_DIR}/board/gen-board.mjs)
set(BMP_IMAGES_DIR ${BMP_REPO_ROOT}/firmware/images CACHE PATH "where the board images are written")

file(GLOB BMP_BOARD_FILES CONFIGURE_DEPENDS ${BMP_REPO_ROOT}/boards/*.json)
file(GLOB BMP_USB_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/usb/*.c)
set(BMP_CHIP_COMMON_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/chip/startup.c
  ${CMAKE_CURRENT_SOURCE_DIR}/chip/chip_common.c
  ${CMAKE_CURRENT_SOURCE_DIR}/chip/gpio.c
  ${CMAKE_CURRENT_SOURCE_DIR}/chip/swd_gpio.c
  ${CMAKE_CURRENT_SOURCE_DIR}/chip/swd_clock.c
  ${CMAKE_CURRENT_SOURCE_DIR}/chip/uart_bridge.c)
set(BMP_BOARD_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/board/main.c
  ${CMAKE_CURRENT_SOURCE_DIR}/board/board_base.c
  ${CMAKE_CURRENT_SOURCE_DIR}/board/board_usb.c
  ${CMAKE_CURRENT_SOURCE_DIR}/app/app_usb.c)
# The family's own file, by the JSON's mcu.family.
set(BMP_CHIP_stm32f72x ${CMAKE_CURRENT_SOURCE_DIR}/chip/stm32f72x.c)
set(BMP_CHIP_stm32h7 ${CMAKE_CURRENT_SOURCE_DIR}/chip/stm32h7.c)

set(BMP_BOARD_TARGETS)
foreach(json ${BMP_BOARD_FILES})
  get_filename_component(board ${json} NAME_WE)
  file(READ ${json} board_json)
  string(JSON family GET "${board_json}" mcu family)
  if(NOT DEFINED BMP_CHIP_${family})
    message(FATAL_ERROR "${json}: no chip support for the family ${family}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${json})

  set(gen ${CMAKE_CURRENT_BINARY_DIR}/boards/${board})
  string(JSON bootloader_kind GET "${board_json}" bootloader kind)
  set(gen_bootloader_ld)
  if(bootloader_kind STREQUAL "own")
    set(gen_bootloader_ld ${gen}/bootloader.ld)
  endif()
  add_custom_command(
    OUTPUT ${gen}/board_config.h ${gen}/board.ld ${gen_bootloader_ld}
    COMMAND ${BMP_NODE} ${BMP_BOARD_GEN} ${json} ${gen}
    DEPENDS ${json} ${BMP_BOARD_GEN} ${CMAKE_CURRENT_SOURCE_DIR}/board/board-json.mjs ${BMP_REPO_ROOT}/package.json
    COMMENT "board ${board}: board_config.h and board.ld from its JSON"
    VERBATIM)

  add_executable(${board}
    ${BMP_BOARD_SOURCES} ${BMP_CHIP_COMMON_SOURCES} ${BMP_CHIP_${family}} ${BMP_USB_SOURCES}
    ${gen}/board_config.h)
  set_target_properties(${board} PROPERTIES SUFFIX .elf C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_include_directories(${board} PRIVATE ${gen} ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(${board} PRIVATE -Os -ffreestanding -ffunction-sections -fdata-sections -Wall -Wextra -Werror)
  target_link_libraries(${board} PRIVATE bmp_app bmp_core_fw)
  target_link_options(${board} PRIVATE
    -nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments
    -L${CMAKE_CURRENT_SOURCE_DIR}/board -T${gen}/board.ld
    -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/${board}.map)
  set_property(TARGET ${board} APPEND PROPERTY LINK_DEPENDS ${gen}/board.ld ${CMAKE_CURRENT_SOURCE_DIR}/board/sections.ld)
  if(COMMAND bmp_firmware_outputs)
    bmp_firmware_outputs(${board})
  endif()
  list(APPEND BMP_BOARD_TARGETS ${board})
endforeach()

include(${CMAKE_CURRENT_SOURCE_DIR}/bootloader/bootloader.cmake)

# The images, the manifest and the size report, after every board and bootloader is linked
# (part of `all`, so `cmake --build` and `npm run firmware` make them; the script fails past a
# budget).
add_custom_target(firmware_images ALL
  COMMAND ${BMP_NODE} ${BMP_REPO_ROOT}/scripts/firmware-images.mjs --build-dir ${CMAKE_CURRENT_BINARY_DIR}
          --out ${BMP_IMAGES_DIR}
  DEPENDS ${BMP_BOARD_TARGETS} ${BMP_BOOTLOADER_TARGETS} ${BMP_REPO_ROOT}/scripts/firmware-images.mjs
  COMMENT "board images: .bin, .hex, .dfu, manifest.json and the size report"
  VERBATIM)
