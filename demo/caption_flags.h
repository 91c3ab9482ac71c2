/* caption_flags.h — a caption's honesty flags (xcap_caption.complete / .repeats /
 * .grammatical, see docs/honest-output.md) in words, the same in every output of
 * `xcap caption`:
 *
 *   field     "cut", "repeats", "ill-formed" or several joined by commas ("cut,repeats"):
 *             the third field of a 'path<TAB>caption' line (and the second after a lone
 *             caption); "" for a clean caption. "ill-formed" (not a sentence of the shapes
 *             world's grammar) is only given to captions that ended with <eos>: a cut
 *             caption is never a whole sentence
 *   messages  "cut at 16 words without <eos>", "repeats \"large large\"", "not a sentence
 *             of the shapes world's grammar": JSON "warnings", the HTML badges and the
 *             warning line on stderr */
#ifndef XCAP_DEMO_CAPTION_FLAGS_H
#define XCAP_DEMO_CAPTION_FLAGS_H

#include <stddef.h>

#include "model/xcap.h"

#define CAP_FLAG_MSG 256   /* bytes of one message, NUL included */
#define CAP_FLAG_MAX 3     /* messages at most: cut, repeats, ill-formed */

/* Which flag a message is about (for the HTML badge). */
typedef enum { CAP_FLAG_CUT, CAP_FLAG_REPEATS, CAP_FLAG_ILL_FORMED } cap_flag;

/* The names of the flags, as in the field: "cut", "repeats", "ill-formed". */
extern const char *const cap_flag_names[CAP_FLAG_MAX];

/* Whether the caption carries a flag. */
int cap_flagged(const xcap_caption *cap);

/* The flags as one field ("" when none) into out (at least 16 bytes). */
void cap_flags_field(char *out, size_t size, const xcap_caption *cap);

/* The messages of the caption's flags into msgs and, when which is not NULL, the flag of
 * each; returns how many (0..CAP_FLAG_MAX). */
size_t cap_flag_messages(char msgs[CAP_FLAG_MAX][CAP_FLAG_MSG], cap_flag which[CAP_FLAG_MAX],
                         const xcap_caption *cap);

#endif
