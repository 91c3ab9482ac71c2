/* stb_write.c — the one compiled copy of stb_image_write (Debian's libstb-dev header), kept
 * in its own file so CMake can build it without UBSan: the JPEG writer's own bit packing
 * shifts into the sign bit (stb's arithmetic, not ours; the fuzz build treats stb_image the
 * same way). output.c includes the header for the declarations only. */
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
