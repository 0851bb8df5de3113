/** The kernel modules of the USB VM: the gadget side, the host side's drivers, dummy_hcd between them. */
export const USB_MODULES = ['dummy_hcd', 'udc-core', 'libcomposite', 'usb_f_acm', 'u_serial', 'usb_f_fs', 'usbhid', 'hid-generic', 'cdc_acm'];

/** Guest shell lines that start udevd (the host's, from the udev package) for libusb's hotplug events. */
// With no rules (empty tmpfs over the host's rule folders): the host's rules, run under TCG,
// keep new devices "uninitialised" (invisible to libusb) for many seconds.
export const START_UDEVD = [
  'for d in /usr/lib/udev/rules.d /etc/udev/rules.d; do [ -d $d ] && mount -t tmpfs none $d; done',
  '/lib/systemd/systemd-udevd --daemon >/dev/null 2>&1 || echo "vm: cannot start udevd (install udev)"',
].join('\n');
