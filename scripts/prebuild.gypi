# The compiler and linker settings of the prebuilt addons (prebuilds/linux-*), used in place of
# Node's own common.gypi: scripts/prebuilds.mjs puts this file, as include/node/common.gypi, in a
# header directory made from the node-api-headers package, and points node-gyp at it. So the
# prebuilds depend on nothing of the Node installation that builds them, and need no download.
#
# The flags match those a node-gyp build of this addon gets from Node's common.gypi, plus what
# makes a binary that runs on other Linux systems than the one that built it: libstdc++ and
# libgcc linked in (their symbols kept private to the addon), only the two symbols Node looks for
# exported (exports.map, written next to this file by scripts/prebuilds.mjs: without it the
# std:: template instances would be), and unused sections dropped: that also drops the parts of
# libstdc++ the addon never calls (std::random_device, whose arc4random needs glibc 2.36).
{
  'target_defaults': {
    'default_configuration': 'Release',
    'configurations': {
      'Release': { 'cflags': ['-O3'] },
      'Debug': { 'cflags': ['-g', '-O0'] },
    },
    'cflags': [
      '-fPIC', '-pthread', '-fvisibility=hidden', '-ffunction-sections', '-fdata-sections',
      '-Wall', '-Wextra', '-Wno-unused-parameter',
    ],
    'cflags_cc': ['-fno-rtti', '-fno-exceptions', '-fvisibility-inlines-hidden', '-std=gnu++17'],
    'ldflags': [
      '-pthread',
      '-static-libstdc++', '-static-libgcc',
      '-Wl,--exclude-libs,ALL',
      '-Wl,--version-script=<(node_root_dir)/include/node/exports.map',
      '-Wl,--as-needed',
      '-Wl,--gc-sections',
    ],
    'conditions': [
      ['target_arch=="x64"', { 'cflags': ['-m64'], 'ldflags': ['-m64'] }],
    ],
  },
}
