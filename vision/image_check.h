/* image_check.h — checks an image file passes before stb_image (Debian's libstb, 2022-09)
 * decodes it: that decoder has known ways for a crafted file to write or read past its
 * buffers, so the formats xcap does not document are refused outright and JPEG Huffman
 * tables it would overflow are refused, as are JPEGs that would leave pixels uninitialised.
 * vision/image.c runs this before any decoding. */
#ifndef XCAP_VISION_IMAGE_CHECK_H
#define XCAP_VISION_IMAGE_CHECK_H

#include <stddef.h>
#include <stdio.h>

/* Looks at the file f holds (from its start) and fills why (cap bytes) with the first
 * problem: a format other than PNG, JPEG, BMP, GIF and TGA that stb would still decode
 * (PNM, PSD, HDR, PIC), a JPEG Huffman table (DHT) declaring more than 256 codes, a JPEG
 * scan naming a Huffman or quantisation table no earlier segment defined, a JPEG
 * component no scan fills, or a JPEG scan with fewer RSTn markers than its restart
 * interval needs (stb would return those pixels from uninitialised memory).
 * Returns 0 when f may go to the decoder, -1 with why filled otherwise. Rewinds f. */
int vis_image_check(FILE *f, char *why, size_t cap);

#endif
