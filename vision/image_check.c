/* image_check.c — the checks of image_check.h. Formats are told by the bytes stb_image
 * tests for them. The JPEG check walks every marker the decoder can reach: lengthless
 * markers (SOI, RSTn, TEM) are stepped over, segments with a length are skipped whole,
 * and bytes between markers (entropy-coded data, junk) are scanned for the next 0xFF xx. */
#include "vision/image_check.h"

#include <string.h>

#define JPEG_DHT 0xC4
#define JPEG_EOI 0xD9
#define JPEG_MAX_CODES 256 /* codes in one Huffman table (the decoder's array size) */

/* The next marker byte (after 0xFF and any fill bytes; 0xFF 0x00 is stuffed data), or EOF. */
static int next_marker(FILE *f) {
    int c;
    for (;;) {
        do c = getc(f); while (c != EOF && c != 0xFF);
        if (c == EOF) return EOF;
        do c = getc(f); while (c == 0xFF);
        if (c != 0x00) return c;
    }
}

/* 1 for markers that carry no length: TEM, RST0..7, SOI, EOI. */
static int lengthless(int m) { return m == 0x01 || (m >= 0xD0 && m <= 0xD9); }

/* The next byte, or 0 past the end of the file (as the decoder reads it). */
static int byte_or_zero(FILE *f) {
    int c = getc(f);
    return c == EOF ? 0 : c;
}

/* Checks the DHT payload of len bytes at f's position; -1 when a table has too many codes.
 * Like the decoder, it reads the bytes past the end of the file as zeros and goes on while
 * the declared length lasts. */
static int check_dht(FILE *f, long len, char *why, size_t cap) {
    while (len > 0) {
        int q = byte_or_zero(f), n = 0;
        for (int i = 0; i < 16; i++) n += byte_or_zero(f);
        len -= 17;
        if (n > JPEG_MAX_CODES) {
            snprintf(why, cap, "JPEG Huffman table %d/%d declares %d codes (at most %d)", q >> 4,
                     q & 15, n, JPEG_MAX_CODES);
            return -1;
        }
        if (feof(f)) return 0; /* the rest reads as zeros: no table can declare a code */
        for (int i = 0; i < n; i++) (void)getc(f);
        len -= n;
    }
    return 0;
}

/* The JPEG check on f (from its start): 0 when fine or not a JPEG, -1 with why filled. */
static int jpeg_check(FILE *f, char *why, size_t cap) {
    int rc = 0, c = getc(f);
    if (c == 0xFF) /* the decoder takes fill bytes before SOI too */
        do c = getc(f); while (c == 0xFF);
    else
        c = EOF;
    if (c != 0xD8) {
        rewind(f);
        return 0; /* not a JPEG */
    }
    for (;;) {
        int m = next_marker(f);
        if (m == EOF || m == JPEG_EOI) break;
        if (lengthless(m)) continue;
        int hi = getc(f), lo = getc(f);
        if (hi == EOF || lo == EOF) break;
        long len = ((long)hi << 8 | lo) - 2;
        if (len < 0) break; /* the decoder refuses a bad length itself */
        if (m == JPEG_DHT) {
            if (check_dht(f, len, why, cap) != 0) {
                rc = -1;
                break;
            }
        } else if (fseek(f, len, SEEK_CUR) != 0) {
            break;
        }
    }
    rewind(f);
    return rc;
}

/* The name of a format stb_image decodes but xcap refuses, from the file's first bytes
 * (every file stb would take as one of them starts so; no valid TGA does), or NULL. */
static const char *refused_format(const unsigned char *b, size_t n) {
    if (n >= 2 && b[0] == 'P' && (b[1] == '5' || b[1] == '6')) return "PNM";
    if (n >= 4 && memcmp(b, "8BPS", 4) == 0) return "PSD";
    if (n >= 2 && b[0] == '#' && b[1] == '?') return "HDR";
    if (n >= 4 && memcmp(b, "\x53\x80\xf6\x34", 4) == 0) return "PIC";
    return NULL;
}

int vis_image_check(FILE *f, char *why, size_t cap) {
    unsigned char head[4];
    size_t n = fread(head, 1, sizeof head, f);
    rewind(f);
    const char *fmt = refused_format(head, n);
    if (fmt) {
        snprintf(why, cap, "%s files are refused; use PNG, JPEG, BMP, GIF or TGA", fmt);
        return -1;
    }
    return jpeg_check(f, why, cap);
}
