/* PLACEHOLDER: replaced by the module owner. */
typedef int bmp_placeholder_unit;
