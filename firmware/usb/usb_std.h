/* Numbers from the USB 2.0 specification (chapter 9), the CDC 1.2 and PSTN 1.2 class
 * specifications, HID 1.11, and Microsoft's MS OS 2.0 descriptors specification. Private to
 * firmware/usb and its tests. */
#ifndef USB_STD_H
#define USB_STD_H

/* bmRequestType */
#define USB_DIR_IN 0x80u
#define USB_TYPE_MASK 0x60u
#define USB_TYPE_STANDARD 0x00u
#define USB_TYPE_CLASS 0x20u
#define USB_TYPE_VENDOR 0x40u
#define USB_RECIP_MASK 0x1Fu
#define USB_RECIP_DEVICE 0u
#define USB_RECIP_INTERFACE 1u
#define USB_RECIP_ENDPOINT 2u

/* Standard requests (bRequest) */
#define USB_REQ_GET_STATUS 0u
#define USB_REQ_CLEAR_FEATURE 1u
#define USB_REQ_SET_FEATURE 3u
#define USB_REQ_SET_ADDRESS 5u
#define USB_REQ_GET_DESCRIPTOR 6u
#define USB_REQ_SET_DESCRIPTOR 7u
#define USB_REQ_GET_CONFIGURATION 8u
#define USB_REQ_SET_CONFIGURATION 9u
#define USB_REQ_GET_INTERFACE 10u
#define USB_REQ_SET_INTERFACE 11u
#define USB_REQ_SYNCH_FRAME 12u

/* Feature selectors */
#define USB_FEATURE_ENDPOINT_HALT 0u
#define USB_FEATURE_REMOTE_WAKEUP 1u
#define USB_FEATURE_TEST_MODE 2u

/* Descriptor types */
#define USB_DT_DEVICE 1u
#define USB_DT_CONFIGURATION 2u
#define USB_DT_STRING 3u
#define USB_DT_INTERFACE 4u
#define USB_DT_ENDPOINT 5u
#define USB_DT_DEVICE_QUALIFIER 6u
#define USB_DT_OTHER_SPEED_CONFIGURATION 7u
#define USB_DT_INTERFACE_ASSOCIATION 11u
#define USB_DT_BOS 15u
#define USB_DT_DEVICE_CAPABILITY 16u
#define USB_DT_HID 0x21u
#define USB_DT_HID_REPORT 0x22u
#define USB_DT_CS_INTERFACE 0x24u

/* Device capability types (BOS) */
#define USB_CAP_USB20_EXTENSION 2u
#define USB_CAP_PLATFORM 5u

/* Endpoint transfer types (bmAttributes) */
#define USB_EP_CONTROL 0u
#define USB_EP_BULK 2u
#define USB_EP_INTERRUPT 3u

/* Classes */
#define USB_CLASS_CDC 0x02u
#define USB_CLASS_HID 0x03u
#define USB_CLASS_CDC_DATA 0x0Au
#define USB_CLASS_MISC 0xEFu
#define USB_CLASS_VENDOR 0xFFu
#define USB_CDC_SUBCLASS_ACM 0x02u
#define USB_MISC_SUBCLASS_COMMON 0x02u
#define USB_MISC_PROTOCOL_IAD 0x01u

/* CDC functional descriptor subtypes and requests */
#define USB_CDC_FUNC_HEADER 0x00u
#define USB_CDC_FUNC_CALL_MANAGEMENT 0x01u
#define USB_CDC_FUNC_ACM 0x02u
#define USB_CDC_FUNC_UNION 0x06u
#define USB_CDC_REQ_SET_LINE_CODING 0x20u
#define USB_CDC_REQ_GET_LINE_CODING 0x21u
#define USB_CDC_REQ_SET_CONTROL_LINE_STATE 0x22u
#define USB_CDC_REQ_SEND_BREAK 0x23u

/* HID requests */
#define USB_HID_REQ_GET_REPORT 0x01u
#define USB_HID_REQ_GET_IDLE 0x02u
#define USB_HID_REQ_GET_PROTOCOL 0x03u
#define USB_HID_REQ_SET_REPORT 0x09u
#define USB_HID_REQ_SET_IDLE 0x0Au
#define USB_HID_REQ_SET_PROTOCOL 0x0Bu
#define USB_HID_REPORT_INPUT 1u
#define USB_HID_REPORT_OUTPUT 2u
#define USB_HID_REPORT_FEATURE 3u

/* MS OS 2.0 */
#define MS_OS_20_DESCRIPTOR_INDEX 7u /* wIndex of the vendor request for the descriptor set */
#define MS_OS_20_SET_ALT_ENUMERATION 8u
#define MS_OS_20_SET_HEADER_DESCRIPTOR 0u
#define MS_OS_20_SUBSET_HEADER_CONFIGURATION 1u
#define MS_OS_20_SUBSET_HEADER_FUNCTION 2u
#define MS_OS_20_FEATURE_COMPATIBLE_ID 3u
#define MS_OS_20_FEATURE_REG_PROPERTY 4u
#define MS_OS_20_REG_MULTI_SZ 7u
#define MS_OS_20_WINDOWS_8_1 0x06030000u

#endif
