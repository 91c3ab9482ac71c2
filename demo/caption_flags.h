/* caption_flags.h — a caption's honesty flags (xcap_caption.complete / .repeats, see
 * docs/honest-output.md) in words, the same in every output of `xcap caption`:
 *
 *   field     "cut", "repeats" or "cut,repeats": the third field of a 'path<TAB>caption'
 *             line (and the second after a lone caption); "" for a clean caption
 *   messages  "cut at 16 words without <eos>", "repeats \"large large\"": JSON "warnings",
 *             the HTML badges' titles and the warning line on stderr */
#ifndef XCAP_DEMO_CAPTION_FLAGS_H
#define XCAP_DEMO_CAPTION_FLAGS_H

#include <stddef.h>

#include "model/xcap.h"

#define CAP_FLAG_MSG 256   /* bytes of one message, NUL included */

/* Whether the caption carries a flag. */
int cap_flagged(const xcap_caption *cap);

/* The flags as one field ("" when none) into out (at least 16 bytes). */
void cap_flags_field(char *out, size_t size, const xcap_caption *cap);

/* The messages of the caption's flags into msgs; returns how many (0..2). */
size_t cap_flag_messages(char msgs[2][CAP_FLAG_MSG], const xcap_caption *cap);

#endif
