/* caption_html.c — writing the self-contained HTML viewer of `xcap caption`. */
#include "demo/caption_html.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/caption_flags.h"
#include "demo/caption_json.h"
#include "demo/caption_overlays.h"
#include "demo/png_write.h"

#define PATH_CAP 4096
#define VIEW_SMALL 320   /* images smaller than this are enlarged by a whole factor */
#define VIEW_MAX 384     /* larger ones are shown at most this wide or high */
#define CARD_MIN 288     /* narrowest card content, in CSS pixels */
#define CARD_PAD 12      /* card padding, as in the CSS below */

/* A growing string. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;   /* out of memory at some point */
} strbuf;

struct cap_html {
    char dir[PATH_CAP];
    char *model, *map_desc;
    strbuf cards, errors;
    size_t n_images, n_errors;
};

/* Makes room for n more bytes (and a NUL); sets failed when out of memory. */
static int sb_grow(strbuf *b, size_t n) {
    if (b->failed) return -1;
    if (b->len + n + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->failed = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

/* Appends n bytes of s. */
static void sb_putn(strbuf *b, const char *s, size_t n) {
    if (sb_grow(b, n) != 0) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Appends s as it is (for markup written here). */
static void sb_put(strbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

/* Appends formatted text (for markup and numbers written here, never outside strings). */
static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) sb_putn(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Appends s HTML-escaped: & < > " ' as entities, control characters as U+FFFD. */
static void sb_esc(strbuf *b, const char *s) {
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': sb_put(b, "&amp;"); break;
        case '<': sb_put(b, "&lt;"); break;
        case '>': sb_put(b, "&gt;"); break;
        case '"': sb_put(b, "&quot;"); break;
        case '\'': sb_put(b, "&#39;"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) sb_put(b, "\xEF\xBF\xBD");
            else sb_putn(b, (const char *)p, 1);
        }
    }
}

char *cap_html_escape(const char *s) {
    strbuf b = {0};
    sb_put(&b, "");
    sb_esc(&b, s);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

int cap_html_open(cap_html **out, const char *dir, const char *model, const char *map_desc,
                  nn_error *err) {
    *out = NULL;
    if (strlen(dir) >= PATH_CAP) return nn_fail(err, "%s: path too long", dir);
    if (cap_mkdir(dir, 1, err) != 0) return -1;
    cap_html *h = calloc(1, sizeof *h);
    if (!h) return nn_fail(err, "%s: out of memory", dir);
    strcpy(h->dir, dir);
    h->model = strdup(model ? model : "");
    h->map_desc = strdup(map_desc ? map_desc : "");
    if (!h->model || !h->map_desc) {
        cap_html_free(h);
        return nn_fail(err, "%s: out of memory", dir);
    }
    *out = h;
    return 0;
}

const char *cap_html_dir(const cap_html *h) { return h->dir; }

void cap_html_free(cap_html *h) {
    if (!h) return;
    free(h->model);
    free(h->map_desc);
    free(h->cards.s);
    free(h->errors.s);
    free(h);
}

void cap_html_view_size(int *dw, int *dh, int W, int H) {
    int side = W > H ? W : H;
    if (side < VIEW_SMALL) {
        int k = VIEW_SMALL / side;
        *dw = W * k;
        *dh = H * k;
    } else if (side > VIEW_MAX) {
        *dw = (int)((double)W * VIEW_MAX / side + 0.5);
        *dh = (int)((double)H * VIEW_MAX / side + 0.5);
    } else {
        *dw = W;
        *dh = H;
    }
    if (*dw < 1) *dw = 1;
    if (*dh < 1) *dh = 1;
}

int cap_html_add(cap_html *h, const char *file, const char *folder, const xcap_caption *cap,
                 nn_error *err) {
    strbuf *b = &h->cards;
    int dw, dh;
    cap_html_view_size(&dw, &dh, cap->width, cap->height);
    sb_printf(b, "<section class=\"card%s\" id=\"img-%zu\" style=\"width:%dpx\">\n"
                 "<h2 class=\"file\" title=\"",
              cap_flagged(cap) ? " flagged" : "", h->n_images,
              (dw > CARD_MIN ? dw : CARD_MIN) + 2 * CARD_PAD + 2);
    sb_esc(b, file);
    sb_put(b, "\">");
    sb_esc(b, file);
    sb_put(b, "</h2>\n<div class=\"view\"><img class=\"main\" src=\"");
    sb_esc(b, folder);
    sb_put(b, "/image.png\" data-orig=\"");
    sb_esc(b, folder);
    sb_printf(b, "/image.png\" width=\"%d\" height=\"%d\" alt=\"", dw, dh);
    sb_esc(b, cap->text);
    sb_put(b, "\" loading=\"lazy\"></div>\n<p class=\"caption\" lang=\"en\">");
    for (size_t w = 0; w < cap->n_words; w++) {
        char name[OVL_NAME_MAX + 16];
        if (ovl_word_filename(name, sizeof name, w, cap->words[w]) != 0)
            return nn_fail(err, "%s: word %zu has no file name", file, w);
        sb_put(b, "<button type=\"button\" class=\"word\" data-ov=\"");
        sb_esc(b, folder);
        sb_put(b, "/");
        sb_esc(b, name);
        sb_put(b, "\" data-grid=\"");
        sb_esc(b, folder);
        sb_put(b, "/heads/");
        sb_esc(b, name);
        sb_printf(b, "\" title=\"probability %.3f\">", (double)cap->probs[w]);
        sb_esc(b, cap->words[w]);
        sb_printf(b, "<small>%.2f</small></button>", (double)cap->probs[w]);
    }
    if (cap->n_words == 0) sb_put(b, "<span class=\"empty\">(empty caption)</span>");
    sb_put(b, "</p>\n");
    char msgs[CAP_FLAG_MAX][CAP_FLAG_MSG];
    cap_flag which[CAP_FLAG_MAX];
    size_t n_msgs = cap_flag_messages(msgs, which, cap);
    if (n_msgs) sb_put(b, "<p class=\"flags\">");
    for (size_t i = 0; i < n_msgs; i++) {
        sb_printf(b, "<span class=\"badge\" data-flag=\"%s\">", cap_flag_names[which[i]]);
        sb_esc(b, msgs[i]);
        sb_put(b, "</span>");
    }
    if (n_msgs) sb_put(b, "</p>\n");
    sb_put(b, "<p class=\"text\">");
    sb_esc(b, cap->text);
    sb_printf(b, "</p>\n<div class=\"tools\"><button type=\"button\" class=\"heads-toggle\"%s>"
                 "heads</button> <a class=\"strip\" href=\"",
              cap->n_words ? "" : " disabled");
    sb_esc(b, folder);
    sb_printf(b, "/strip.png\">strip</a> <span class=\"score\" title=\"confidence: the smallest "
                 "probability of any word or the final &lt;eos&gt; (0 when cut); log-prob: their "
                 "summed log-probability\"><span>confidence <b class=\"conf\">%.3f</b></span> "
                 "<span>&middot; log-prob %.3f</span></span></div>\n"
                 "<div class=\"heads\" hidden><img class=\"grid\" alt=\"every layer and head\"></div>\n"
                 "</section>\n",
              isfinite(cap->confidence) ? (double)cap->confidence : 0.0,
              /* a certain caption shows 0.000, not -0.000 */
              isfinite(cap->logprob) && cap->logprob < -0.0005f ? (double)cap->logprob : 0.0);
    if (b->failed) return nn_fail(err, "%s: out of memory for the HTML viewer", h->dir);
    h->n_images++;
    return 0;
}

int cap_html_add_error(cap_html *h, const char *file, const char *message, nn_error *err) {
    strbuf *b = &h->errors;
    sb_put(b, "<li><span class=\"file\">");
    sb_esc(b, file);
    sb_put(b, "</span>: ");
    sb_esc(b, message);
    sb_put(b, "</li>\n");
    if (b->failed) return nn_fail(err, "%s: out of memory for the HTML viewer", h->dir);
    h->n_errors++;
    return 0;
}

static const char PAGE_HEAD[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file:; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>xcap captions</title>\n<style>\n"
    ":root{color-scheme:dark;--bg:#161618;--card:#222226;--line:#34343a;--text:#e6e6e6;"
    "--dim:#9a9aa2;--accent:#fde725;--accent2:#35b779}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--text);"
    "font:15px/1.45 'DejaVu Sans',system-ui,sans-serif}\n"
    "header{padding:18px 24px 8px}\n"
    "h1{margin:0 0 4px;font-size:22px;font-weight:600}\n"
    ".meta{margin:0;color:var(--dim);font-size:13px}\n"
    ".meta code{color:var(--text)}\n"
    "main{display:flex;flex-wrap:wrap;gap:16px;padding:12px 24px 32px;align-items:flex-start}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px;"
    "max-width:100%}\n"
    ".card h2{margin:0 0 8px;font-size:13px;font-weight:400;color:var(--dim);"
    "overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\n"
    ".view img{display:block;border-radius:4px;background:#000;max-width:100%;height:auto}\n"
    ".caption{margin:10px 0 4px;display:flex;flex-wrap:wrap;gap:4px}\n"
    ".word{font:inherit;color:var(--text);background:#2e2e34;border:1px solid var(--line);"
    "border-radius:6px;padding:1px 7px;cursor:pointer}\n"
    ".word small{margin-left:5px;color:var(--dim);font-size:11px}\n"
    ".word:hover,.word:focus-visible,.word.active{border-color:var(--accent2);outline:none}\n"
    ".word.pinned{background:var(--accent);color:#111;border-color:var(--accent)}\n"
    ".word.pinned small{color:#333}\n"
    ".text{margin:2px 0 6px;color:var(--dim);font-size:13px}\n"
    ".tools{display:flex;gap:10px;align-items:center;font-size:13px}\n"
    ".tools button{font:inherit;color:var(--text);background:#2e2e34;border:1px solid var(--line);"
    "border-radius:6px;padding:1px 10px;cursor:pointer}\n"
    ".tools button[aria-pressed=true]{border-color:var(--accent)}\n"
    ".tools a{color:var(--accent2)}\n"
    ".score{color:var(--dim);margin-left:auto}\n"
    ".score span{white-space:nowrap}\n"
    ".score b{color:var(--text);font-weight:600}\n"
    ".card.flagged{border-color:#e8863a}\n"
    ".flags{margin:4px 0;display:flex;flex-wrap:wrap;gap:4px}\n"
    ".badge{background:#e8863a;color:#111;border-radius:6px;padding:0 7px;font-size:13px;"
    "font-weight:600}\n"
    ".heads{margin-top:10px}\n"
    ".heads img{display:block;max-width:calc(100vw - 80px);border-radius:4px}\n"
    "#errors{margin:0 24px;color:#ff8080;white-space:pre-wrap}\n"
    ".failed{flex-basis:100%;color:#ff9b9b;font-size:13px}\n"
    ".failed h2{font-size:15px;color:var(--text)}\n"
    ".failed .file{color:var(--text)}\n"
    "</style>\n"
    "<script>\n"
    "(function(){var seen=[];\n"
    "function show(m){var d=document.getElementById('errors');if(!d){seen.push(m);return;}"
    "var p=document.createElement('p');p.className='xcap-error';p.textContent=m;d.appendChild(p);"
    "d.hidden=false;}\n"
    "window.xcapError=show;\n"
    "window.addEventListener('error',function(e){var t=e.target;"
    "if(t&&t!==window&&t.tagName){show('failed to load '+(t.currentSrc||t.src||t.href||t.tagName));}"
    "else{show('script error: '+e.message+' ('+e.lineno+':'+e.colno+')');}},true);\n"
    "window.addEventListener('unhandledrejection',function(e){show('unhandled rejection: '+e.reason);});\n"
    "document.addEventListener('DOMContentLoaded',function(){var s=seen;seen=[];s.forEach(show);});\n"
    "})();\n"
    "</script>\n"
    "</head>\n<body>\n<header>\n<h1>xcap captions</h1>\n<p class=\"meta\">";

static const char PAGE_SCRIPT[] =
    "<script>\n"
    "(function(){\n"
    "function card(el){return el.closest('.card');}\n"
    "function current(c){return c.querySelector('.word.active')||c.querySelector('.word.pinned');}\n"
    "function refresh(c){\n"
    "  var w=current(c),img=c.querySelector('img.main');\n"
    "  var src=w?w.dataset.ov:img.dataset.orig;\n"
    "  if(img.getAttribute('src')!==src)img.setAttribute('src',src);\n"
    "  var panel=c.querySelector('.heads'),grid=panel.querySelector('img');\n"
    "  if(!panel.hidden){var g=(w||c.querySelector('.word'));"
    "if(g&&grid.getAttribute('src')!==g.dataset.grid)grid.setAttribute('src',g.dataset.grid);}\n"
    "}\n"
    "function enter(e){var w=e.target.closest('.word');if(!w)return;var c=card(w);"
    "c.querySelectorAll('.word.active').forEach(function(x){x.classList.remove('active');});"
    "w.classList.add('active');refresh(c);}\n"
    "function leave(e){var w=e.target.closest('.word');if(!w)return;"
    "w.classList.remove('active');refresh(card(w));}\n"
    "function fit(c){var p=c.querySelector('.heads'),g=p.querySelector('img');"
    "if(!c.dataset.w)c.dataset.w=c.style.width;"
    "var need=p.hidden||!g.naturalWidth?0:g.naturalWidth+26;"
    "c.style.width=need>parseInt(c.dataset.w,10)?need+'px':c.dataset.w;}\n"
    "document.querySelectorAll('.heads img').forEach(function(g){"
    "g.addEventListener('load',function(){fit(card(g));});});\n"
    "var main=document.querySelector('main');\n"
    "main.addEventListener('mouseover',enter);\n"
    "main.addEventListener('mouseout',leave);\n"
    "main.addEventListener('focusin',enter);\n"
    "main.addEventListener('focusout',leave);\n"
    "main.addEventListener('click',function(e){\n"
    "  var w=e.target.closest('.word');\n"
    "  if(w){var c=card(w),was=w.classList.contains('pinned');"
    "c.querySelectorAll('.word.pinned').forEach(function(x){x.classList.remove('pinned');"
    "x.setAttribute('aria-pressed','false');});"
    "if(!was){w.classList.add('pinned');w.setAttribute('aria-pressed','true');}refresh(c);return;}\n"
    "  var t=e.target.closest('.heads-toggle');\n"
    "  if(t){var c2=card(t),p=c2.querySelector('.heads');p.hidden=!p.hidden;"
    "t.setAttribute('aria-pressed',String(!p.hidden));fit(c2);refresh(c2);}\n"
    "});\n"
    "document.documentElement.dataset.ready='1';\n"
    "})();\n"
    "</script>\n";

int cap_html_close(cap_html *h, nn_error *err) {
    strbuf page = {0};
    sb_put(&page, PAGE_HEAD);
    sb_printf(&page, "%zu image%s captioned", h->n_images, h->n_images == 1 ? "" : "s");
    if (h->n_errors) sb_printf(&page, ", %zu failed", h->n_errors);
    sb_put(&page, " &middot; model <code>");
    sb_esc(&page, h->model);
    sb_put(&page, "</code> &middot; map: ");
    sb_esc(&page, h->map_desc);
    sb_put(&page, "<br>Hover a word to see where it looked, click it to pin it; "
                  "&ldquo;heads&rdquo; shows every layer &times; head for that word.</p>\n"
                  "</header>\n<div id=\"errors\" hidden></div>\n<main>\n");
    if (h->cards.s) sb_put(&page, h->cards.s);
    if (h->n_errors) {
        sb_put(&page, "<section class=\"failed\"><h2>Not captioned</h2><ul>\n");
        sb_put(&page, h->errors.s);
        sb_put(&page, "</ul></section>\n");
    }
    sb_put(&page, "</main>\n");
    sb_put(&page, PAGE_SCRIPT);
    sb_put(&page, "</body>\n</html>\n");
    int rc;
    if (page.failed || h->cards.failed || h->errors.failed) {
        rc = nn_fail(err, "%s: out of memory for the HTML viewer", h->dir);
    } else {
        char path[PATH_CAP + 16];
        snprintf(path, sizeof path, "%s/index.html", h->dir);
        rc = cap_write_file(path, page.s, page.len, err);
    }
    free(page.s);
    cap_html_free(h);
    return rc;
}
