/** The kernel modules of the USB VM: the gadget side, the host side's drivers, dummy_hcd between them. */
export const USB_MODULES = ['dummy_hcd', 'udc-core', 'libcomposite', 'usb_f_hid', 'usb_f_acm', 'u_serial', 'usb_f_fs', 'usbhid', 'hid-generic', 'cdc_acm'];

/** Guest shell lines that start udevd (the host's, from the udev package) for libusb's hotplug events. */
export const START_UDEVD = '/lib/systemd/systemd-udevd --daemon >/dev/null 2>&1 || echo "vm: cannot start udevd (install udev)"';
