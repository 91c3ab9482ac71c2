/* image_check.c — the checks of image_check.h. Formats are told by the bytes stb_image
 * tests for them. The JPEG check walks every marker the decoder can reach: lengthless
 * markers (SOI, RSTn, TEM) are stepped over, segments with a length are skipped whole
 * (DHT, DQT, the first SOF and SOS are read), and bytes between markers (entropy-coded
 * data, junk) are scanned for the next 0xFF xx. The decoder mallocs its tables and pixel
 * planes without clearing them, so a scan that names a table no segment defined, a
 * component no scan fills, or a scan with fewer restart markers than its restart interval
 * needs (the decoder then ends the scan early, with success) would give pixels from
 * uninitialised memory: all are refused. */
#include "vision/image_check.h"

#include <string.h>

#define JPEG_DHT 0xC4
#define JPEG_DQT 0xDB
#define JPEG_DRI 0xDD
#define JPEG_SOS 0xDA
#define JPEG_EOI 0xD9
#define JPEG_MAX_CODES 256 /* codes in one Huffman table (the decoder's array size) */
#define JPEG_MAX_COMP 4    /* components in a frame (the decoder refuses more) */

/* What the walk has seen: the first frame (the one the decoder uses) and the tables. */
typedef struct {
    int frame, progressive, n_comp;
    long width, height;
    int id[JPEG_MAX_COMP], tq[JPEG_MAX_COMP]; /* component ids and quantisation tables */
    int hs[JPEG_MAX_COMP], vs[JPEG_MAX_COMP], hmax, vmax; /* sampling factors */
    int filled[JPEG_MAX_COMP]; /* in a scan (progressive: in a first DC scan) */
    unsigned huff;             /* bit 4 * class + id of every Huffman table defined */
    unsigned quant;            /* bit id of every quantisation table defined */
    long interval;             /* MCUs per restart interval (DRI), 0 = none */
    int in_scan;               /* the walk is in a scan's entropy-coded data */
    long restarts, need;       /* RSTn markers seen in it, and how many it needs */
} jpeg_state;

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

/* Checks the DHT payload of len bytes at f's position and notes its tables in st; -1 when a
 * table has too many codes. Like the decoder, it reads the bytes past the end of the file as
 * zeros and goes on while the declared length lasts. */
static int check_dht(FILE *f, long len, jpeg_state *st, char *why, size_t cap) {
    while (len > 0) {
        int q = byte_or_zero(f), n = 0;
        for (int i = 0; i < 16; i++) n += byte_or_zero(f);
        len -= 17;
        if (n > JPEG_MAX_CODES) {
            snprintf(why, cap, "JPEG Huffman table %d/%d declares %d codes (at most %d)", q >> 4,
                     q & 15, n, JPEG_MAX_CODES);
            return -1;
        }
        if (q >> 4 <= 1 && (q & 15) <= 3) st->huff |= 1u << ((q >> 4) * 4 + (q & 15));
        if (feof(f)) return 0; /* the rest reads as zeros: no table can declare a code */
        for (int i = 0; i < n; i++) (void)getc(f);
        len -= n;
    }
    return 0;
}

/* Notes in st the tables of the DQT payload of len bytes at f's position (the decoder refuses
 * a table with a precision other than 8 or 16 bits or an id above 3: the walk stops there). */
static void read_dqt(FILE *f, long len, jpeg_state *st) {
    while (len > 0) {
        int q = getc(f);
        if (q == EOF || q >> 4 > 1 || (q & 15) > 3) return;
        st->quant |= 1u << (q & 15);
        long n = q >> 4 ? 128 : 64;
        if (fseek(f, n, SEEK_CUR) != 0) return;
        len -= 1 + n;
    }
}

/* Reads the first min(len, cap) bytes of a segment into b (zeros past the end of the file,
 * as the decoder reads them, and past len) and steps over the rest. */
static void read_segment(FILE *f, long len, unsigned char *b, size_t cap) {
    size_t n = (size_t)len < cap ? (size_t)len : cap;
    memset(b, 0, cap);
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)byte_or_zero(f);
    if ((size_t)len > n) fseek(f, len - (long)n, SEEK_CUR);
}

/* Notes the components of the frame header s (len bytes) in st; only the first frame counts. */
static void read_frame(jpeg_state *st, const unsigned char *s, long len, int marker) {
    int n = s[5];
    if (st->frame || n < 1 || n > JPEG_MAX_COMP || len != 6 + 3 * n) return; /* refused there */
    st->frame = 1;
    st->progressive = marker == 0xC2;
    st->n_comp = n;
    st->height = (long)s[1] << 8 | s[2];
    st->width = (long)s[3] << 8 | s[4];
    st->hmax = st->vmax = 1;
    for (int i = 0; i < n; i++) {
        st->id[i] = s[6 + 3 * i];
        st->hs[i] = s[7 + 3 * i] >> 4;
        st->vs[i] = s[7 + 3 * i] & 15;
        st->tq[i] = s[8 + 3 * i];
        st->filled[i] = 0;
        if (st->hs[i] > st->hmax) st->hmax = st->hs[i];
        if (st->vs[i] > st->vmax) st->vmax = st->vs[i];
    }
}

/* The MCUs of a scan as the decoder counts them for its restart interval: every 8x8 block
 * of the component in a scan of one (c its index), else the frame's interleaved MCUs. */
static long scan_mcus(const jpeg_state *st, int ns, int c) {
    if (ns == 1) {
        long w = (st->width * st->hs[c] + st->hmax - 1) / st->hmax;
        long h = (st->height * st->vs[c] + st->vmax - 1) / st->vmax;
        return ((w + 7) / 8) * ((h + 7) / 8);
    }
    long mw = 8L * st->hmax, mh = 8L * st->vmax;
    return ((st->width + mw - 1) / mw) * ((st->height + mh - 1) / mh);
}

/* The index in st of the component with this id (the first, as the decoder takes), or -1. */
static int component(const jpeg_state *st, int id) {
    for (int i = 0; i < st->n_comp; i++)
        if (st->id[i] == id) return i;
    return -1;
}

/* Checks the scan header s (len bytes) against the tables defined before it: 0 when every
 * table the decoder will read for it exists, -1 with why filled. Marks its components. */
static int check_scan(jpeg_state *st, const unsigned char *s, long len, char *why, size_t cap) {
    int ns = s[0];
    if (!st->frame || ns < 1 || ns > JPEG_MAX_COMP || len != 4 + 2 * ns) return 0; /* refused */
    int first_dc = s[1 + 2 * ns] == 0 && s[3 + 2 * ns] >> 4 == 0; /* Ss = 0, Ah = 0 */
    int uses_dc = !st->progressive || first_dc, uses_ac = !st->progressive || s[1 + 2 * ns] > 0;
    for (int i = 0; i < ns; i++) {
        int c = component(st, s[1 + 2 * i]), dc = s[2 + 2 * i] >> 4, ac = s[2 + 2 * i] & 15;
        if (c < 0 || dc > 3 || ac > 3) return 0; /* the decoder refuses the scan */
        if ((uses_dc && !(st->huff & 1u << dc)) || (uses_ac && !(st->huff & 1u << (4 + ac)))) {
            snprintf(why, cap, "JPEG scan of component %d uses a Huffman table no DHT defined",
                     st->id[c]);
            return -1;
        }
        if (st->tq[c] > 3) {
            snprintf(why, cap, "JPEG component %d names quantisation table %d; there are 4",
                     st->id[c], st->tq[c]);
            return -1;
        }
        if (!st->progressive && !(st->quant & 1u << st->tq[c])) {
            snprintf(why, cap, "JPEG component %d uses quantisation table %d, which no DQT defined",
                     st->id[c], st->tq[c]);
            return -1;
        }
        if (st->progressive && !first_dc && !st->filled[c]) {
            snprintf(why, cap, "JPEG scan refines component %d before its first DC scan", st->id[c]);
            return -1;
        }
        st->filled[c] |= uses_dc;
    }
    /* with a restart interval, an RSTn must end every interval but the last, or the decoder
     * stops at the first one missing and leaves the rest of the scan unwritten */
    st->in_scan = st->interval > 0;
    st->restarts = 0;
    st->need = st->in_scan ? (scan_mcus(st, ns, component(st, s[1])) - 1) / st->interval : 0;
    return 0;
}

/* At the first marker after a scan's data that is not RSTn: -1 with why filled when the scan
 * had fewer restart markers than it needs. */
static int end_scan(jpeg_state *st, char *why, size_t cap) {
    if (!st->in_scan) return 0;
    st->in_scan = 0;
    if (st->restarts >= st->need) return 0;
    snprintf(why, cap, "JPEG scan has %ld restart markers, its restart interval of %ld MCUs needs %ld",
             st->restarts, st->interval, st->need);
    return -1;
}

/* At the end of the image: every component was filled by a scan and (progressive: its
 * coefficients are dequantised now) has its quantisation table; -1 with why filled. */
static int check_end(const jpeg_state *st, char *why, size_t cap) {
    for (int c = 0; st->frame && c < st->n_comp; c++) {
        if (!st->filled[c]) {
            snprintf(why, cap, "JPEG component %d is in no scan%s", st->id[c],
                     st->progressive ? " with its DC coefficients" : "");
            return -1;
        }
        if (st->progressive && !(st->quant & 1u << st->tq[c])) {
            snprintf(why, cap, "JPEG component %d uses quantisation table %d, which no DQT defined",
                     st->id[c], st->tq[c]);
            return -1;
        }
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
    jpeg_state st = {0};
    unsigned char seg[32]; /* enough for any frame or scan header the decoder takes */
    for (;;) {
        int m = next_marker(f);
        if (m == EOF) break; /* without EOI the decoder fails itself */
        if (m >= 0xD0 && m <= 0xD7) { /* RSTn */
            st.restarts += st.in_scan;
            continue;
        }
        if ((rc = end_scan(&st, why, cap)) != 0) break;
        if (m == JPEG_EOI) {
            rc = check_end(&st, why, cap);
            break;
        }
        if (lengthless(m)) continue;
        int hi = getc(f), lo = getc(f);
        if (hi == EOF || lo == EOF) break;
        long len = ((long)hi << 8 | lo) - 2;
        if (len < 0) break; /* the decoder refuses a bad length itself */
        if (m == JPEG_DHT) {
            rc = check_dht(f, len, &st, why, cap);
        } else if (m == JPEG_DQT) {
            read_dqt(f, len, &st);
        } else if (m == JPEG_DRI) {
            read_segment(f, len, seg, sizeof seg);
            if (len == 2) st.interval = (long)seg[0] << 8 | seg[1]; /* else refused there */
        } else if (m >= 0xC0 && m <= 0xC2) {
            read_segment(f, len, seg, sizeof seg);
            read_frame(&st, seg, len, m);
        } else if (m == JPEG_SOS) {
            read_segment(f, len, seg, sizeof seg);
            rc = check_scan(&st, seg, len, why, cap);
        } else if (fseek(f, len, SEEK_CUR) != 0) {
            break;
        }
        if (rc != 0) break;
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
